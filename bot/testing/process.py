"""``hostnet-bot --http`` as a process of its own, as users start it, its Web API
pointed at the local stand-in for Slack (:class:`~.fakeslack.FakeSlack`): for
the tests that kill a bot, restart it or run several replicas, and for the
benchmarks that measure them.

The bot has no setting for the Web API's address, so a three-line launcher
points its WebClient at the stand-in; everything else is the shipped code.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .fakeslack import Call, FakeSlack, Inbound
from .requests import (
    BOT_TOKEN,
    CHANNEL,
    FORM,
    SECRET,
    click_body,
    describe_request,
    signed_headers,
    slash_body,
)

LAUNCHER = """\
import sys
from hostnet.bot import main, slack, wiring
api = sys.argv.pop(1)
make = slack.web_client
wiring.web_client = lambda token, base_url=None: make(token, base_url=api)
sys.exit(main.main())
"""
LISTENING = re.compile(r"HTTP mode: Slack's requests on http://[^:]+:(\d+)/")


def until(
    what: str, check: Callable[[], Any], timeout: float = 60, why: Callable[[], str] = str
) -> Any:
    """``check()`` once it is true; after ``timeout`` s, fail with ``why()``: the evidence."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{why()}"
        time.sleep(0.05)
    return value


def bot_env(lessons: Path | None = None, **extra: str) -> dict[str, str]:
    """This process's environment for a bot: no real Slack settings, the test
    secrets, and ``lessons`` as the lessons folder (when given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, **extra)
    if lessons is not None:
        env["HOSTNET_LESSONS_DIR"] = str(lessons)
    return env


class BotProcess:
    """``hostnet-bot --http`` as a process of its own, on the port its configuration
    names (``http.port: 0``: one it picks; :attr:`url` says which)."""

    def __init__(
        self, config: Path, fake: FakeSlack, env: Mapping[str, str], *, timeout: float = 60
    ) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, fake.api_url, "--config", str(config), "--http"],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        self.fake = fake
        self._port: int | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        port = until("the bot to listen", lambda: self._port, timeout, why=self.tail)
        self.port: int = port
        self.url = f"http://127.0.0.1:{port}/slack/events"

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            if self._port is None and (match := LISTENING.search(line)):
                self._port = int(match[1])
        if self._port is None:
            self._port = -1  # exited without listening (the log says why)

    def tail(self, lines: int = 40) -> str:
        return "".join(self.log[-lines:])

    def post(self, body: str, *, forged: bool = False, timeout: float = 10) -> int:
        """Send ``body`` as Slack would (signed; ``forged``: with a wrong signature);
        the HTTP status it got."""
        assert self.port > 0, self.tail()
        headers = signed_headers(body, FORM)
        if forged:
            headers["x-slack-signature"] = "v0=" + "0" * 64
        request = urllib.request.Request(
            self.url, data=body.encode(), headers=headers, method="POST"
        )
        inbound = Inbound(*describe_request(body))
        if not forged:
            self.fake.inbound.append(inbound)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                inbound.status = int(response.status)
        except urllib.error.HTTPError as exc:  # 401 and the like: an answer all the same
            inbound.status = int(exc.code)
        return inbound.status

    def slash(self, user: str, text: str, channel: str = CHANNEL) -> int:
        return self.post(slash_body(user, text, channel, f"{self.fake.base}/response/{user}"))

    def click(self, user: str, call: Call, action_id: str, channel: str = CHANNEL) -> int:
        assert call.ts is not None
        value = call.buttons()[action_id]
        response_url = f"{self.fake.base}/response/{user}"
        return self.post(click_body(user, action_id, value, call.ts, channel, response_url))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code
