"""HTTP mode under a burst, as a workshop clicks at once: ``hostnet-bot --http``
(a real process) and ``hostnet.bot.wsgi:app`` served by gunicorn answer 100
simultaneous requests, all of them within Slack's 3 s, none refused; forged
ones get 401 and reach nothing."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.harness import write_config
from hostnet.bot.testing.process import BotProcess, bot_env, until
from hostnet.bot.testing.requests import CHANNEL, FORM, signed_headers, slash_body
from tests.support import postgres
from tests.support.lessons import ECHO_LESSON

BURST = 100
SLACK_LIMIT = 3.0  # seconds Slack waits for an answer


def burst(url: str, fake: FakeSlack, *, forged: Collection[int] = ()) -> list[tuple[int, float]]:
    """BURST slash commands sent at the same moment (``forged``: those numbers with a
    wrong signature); each one's (HTTP status, seconds to the answer), or raises."""
    bodies = [
        slash_body(f"U0BURST{n:03}", "help", CHANNEL, f"{fake.base}/response/U0BURST{n:03}")
        for n in range(BURST)
    ]
    go = threading.Barrier(BURST)
    out: list[Any] = [None] * BURST

    def send(n: int) -> None:
        headers = signed_headers(bodies[n], FORM)
        if n in forged:
            headers["x-slack-signature"] = "v0=" + "0" * 64
        request = urllib.request.Request(url, bodies[n].encode(), headers, method="POST")
        go.wait()
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                out[n] = (response.status, time.perf_counter() - started)
        except urllib.error.HTTPError as exc:
            out[n] = (exc.code, time.perf_counter() - started)
        except OSError as exc:  # refused, reset: what a burst must never get
            out[n] = exc

    threads = [threading.Thread(target=send, args=(n,)) for n in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [f"#{n}: {r!r}" for n, r in enumerate(out) if not isinstance(r, tuple)]
    assert not failed, f"{len(failed)} of {BURST} requests got no answer: {failed[:5]}"
    return out


def check(out: list[tuple[int, float]], forged: Collection[int], what: str) -> None:
    statuses = [status for status, _ in out]
    assert statuses == [401 if n in forged else 200 for n in range(BURST)], statuses
    seconds = sorted(took for _, took in out)
    print(
        f"{what}: {BURST} simultaneous requests, all answered; "
        f"p50 {seconds[BURST // 2] * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms"
    )
    assert seconds[-1] < SLACK_LIMIT, f"the slowest answer took {seconds[-1]:.2f} s"


def listen_backlog(port: int) -> int:
    """The listening socket's backlog, as ``ss -ltn`` shows it (Send-Q)."""
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return max(int(line.split()[2]) for line in out.splitlines() if line.strip())


def helped(fake: FakeSlack, count: int) -> Callable[[], bool]:
    return lambda: (
        sum(c.args["user"].startswith("U0BURST") for c in fake.of("response_url")) >= count
    )


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-echo.yaml").write_text(ECHO_LESSON.replace("FIRST_COMMAND", "echo first"))
    return folder


def test_hostnet_bot_http_answers_a_burst_of_100_signed_requests_none_refused(
    database, fake_slack: FakeSlack, tmp_path: Path, lessons: Path
) -> None:
    config = write_config(
        tmp_path,
        [{"name": "lab-01", "local": True}],
        database=str(database),
        allowed_users=["*"],
        http={"host": "127.0.0.1", "port": 0},
    )
    bot = BotProcess(config, fake_slack, bot_env(lessons))
    try:
        assert listen_backlog(bot.port) >= BURST, "the listen backlog must hold a burst"
        check(burst(bot.url, fake_slack), set(), "hostnet-bot --http")
        until("every command's answer", helped(fake_slack, BURST), why=bot.tail)
        forged = set(range(0, BURST, 4))
        check(burst(bot.url, fake_slack, forged=forged), forged, "with forgeries")
        until("the signed ones' answers", helped(fake_slack, 2 * BURST - len(forged)))
        time.sleep(0.5)  # a forged one, had it got through, would have been answered by now
        assert sum(c.args["user"].startswith("U0BURST") for c in fake_slack.of("response_url")) == (
            2 * BURST - len(forged)
        )
        assert bot.alive()
    finally:
        assert bot.stop() == 130, bot.tail()
    assert "Traceback" not in "".join(bot.log)


GUNICORN_CONF = """\
# The tests' gunicorn configuration: the bot's Web API is the local stand-in
# for Slack (users need none of this).
import hostnet.bot.slack
import hostnet.bot.wiring

_make = hostnet.bot.slack.web_client
hostnet.bot.wiring.web_client = lambda token, base_url=None: _make(token, base_url={api!r})
"""


@pytest.fixture
def gunicorn(
    fake_slack: FakeSlack, tmp_path: Path, lessons: Path
) -> Iterator[Callable[..., tuple[subprocess.Popen[str], str, list[str]]]]:
    started: list[subprocess.Popen[str]] = []

    def serve(database: str, workers: int) -> tuple[subprocess.Popen[str], str, list[str]]:
        config = write_config(
            tmp_path, [{"name": "lab-01", "local": True}], database=database, allowed_users=["*"]
        )
        conf = tmp_path / "gunicorn.conf.py"
        conf.write_text(GUNICORN_CONF.format(api=fake_slack.api_url))
        argv = [
            sys.executable, "-m", "gunicorn", "-c", str(conf),
            "--workers", str(workers), "--threads", "32", "--backlog", "1024",
            "--bind", "127.0.0.1:0", "hostnet.bot.wsgi:app",
        ]  # fmt: skip
        proc = subprocess.Popen(
            argv,
            env=bot_env(lessons, HOSTNET_BOT_CONFIG=str(config)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        log: list[str] = []
        port: list[int] = []

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                log.append(line)
                if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
                    port.append(int(match[1]))

        threading.Thread(target=read, daemon=True).start()
        until(
            "gunicorn to listen", lambda: port or proc.poll() is not None, why=lambda: "".join(log)
        )
        assert port, "".join(log)
        booted = lambda: sum("Booting worker" in line for line in log) >= workers  # noqa: E731
        until("gunicorn's workers", booted, why=lambda: "".join(log))
        return proc, f"http://127.0.0.1:{port[0]}/slack/events", log

    yield serve
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_wsgi_app_under_gunicorn_two_workers_two_replicas_one_database(
    gunicorn, postgres_url: str, fake_slack: FakeSlack
) -> None:
    proc, url, log = gunicorn(postgres_url, workers=2)
    check(burst(url, fake_slack), set(), "gunicorn, hostnet.bot.wsgi:app, 2 workers")
    until("every command's answer", helped(fake_slack, BURST), why=lambda: "".join(log))
    forged = {0, 7, 42}
    check(burst(url, fake_slack, forged=forged), forged, "gunicorn, with forgeries")
    # Each worker built the bot on first use: two replicas on one database.
    until(
        "both workers to join",
        lambda: len(postgres.rows(postgres_url, "SELECT id FROM bot_replicas")) == 2,
        why=lambda: "".join(log),
    )
    proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
    assert proc.wait(timeout=60) == 0, "".join(log)
    assert postgres.rows(postgres_url, "SELECT id FROM bot_replicas") == [], "workers retire"
    assert "Traceback" not in "".join(log)
