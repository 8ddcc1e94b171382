"""Slack without Slack: a local stand-in for the Web API and signed requests into
the real bolt App (as bolt-python's own scenario tests do).

``FakeSlack`` records every Web API call (and every ``response_url`` post);
``BotHarness`` builds the bot exactly as ``hostnet-bot`` does, with its
WebClient pointed at the stand-in, and dispatches signed slash commands,
button clicks and events into it.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from hostnet.bot.config import Secrets, load_config
from hostnet.bot.http import make_http_server
from hostnet.bot.slack import web_client
from hostnet.bot.wiring import Bot, build
from hostnet.engine.commands import CommandResult
from hostnet.engine.errors import TargetError
from hostnet.engine.labs.spec import LabSpec
from hostnet.engine.targets import Target
from tests.support import evidence

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
TEAM = "T0TEST"
CHANNEL = "C0WORKSHOP"
ALICE, BOB, CAROL, MALLORY, TEACHER = "U0ALICE", "U0BOB", "U0CAROL", "U0MALLORY", "U0TEACHER"

ECHO_LESSON = """\
format_version: 1
id: echo
number: 1
title: Echo, twice
summary: Two harmless steps that print words.
variables:
  word: {default: hello}
concepts:
  - {title: Echo, text: It prints its arguments.}
steps:
  - id: first
    title: Say the word
    explanation: Print the word.
    command: FIRST_COMMAND
    hints: [Type it exactly., Really exactly.]
    checks:
      - kind: output
        contains: first
      - kind: command
        run: "true"
  - id: second
    title: Say it again
    explanation: Print it again.
    command: echo second @{word}
    checks:
      - kind: output
        contains: second
      - kind: command
        run: "true"
quiz:
  - question: What does echo do?
    choices: [Prints its arguments, Deletes files]
    answer: 1
    explanation: echo prints its arguments.
  - question: Which step printed 'second'?
    choices: [the first, the second]
    answer: 2
    explanation: The second step did.
cleanup:
  - echo cleaned
"""


# ---------------------------------------------------------------------- the Web API


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    ts: str | None = None  # of a message the call created
    at: float = field(default_factory=time.monotonic)  # when it arrived

    def text(self) -> str:
        """Every text of the call (fallback text and all of its blocks), one string."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    if k == "text" and isinstance(v, str):
                        found.append(v)
                    else:
                        walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk({k: v for k, v in self.args.items() if k in ("text", "blocks")})
        return "\n".join(found)

    def buttons(self) -> dict[str, str]:
        """action_id → value of the call's buttons."""
        out = {}
        for block in self.args.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                out[element["action_id"]] = element["value"]
        return out


@dataclass
class Inbound:
    """A request "Slack" sent the bot on a user's behalf (a click, a command)."""

    user: str
    what: str
    status: int = 0  # the bot's HTTP answer
    at: float = field(default_factory=time.monotonic)


DROP = 0  # FakeSlack.answer's status for "close the connection without answering"


@dataclass
class Upload:
    """A file shared through the Web API's upload: its bytes, where, and as what."""

    file_id: str
    filename: str
    alt_txt: str | None
    length: int
    data: bytes | None = None  # what was POSTed to the upload URL
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    completed: bool = False


ALT_TXT_LIMIT = 1000  # Slack: alt_txt_too_large beyond


class FakeSlack:
    """Slack's Web API on 127.0.0.1: records calls, answers like Slack.

    File uploads as Slack does them: ``files.getUploadURLExternal`` gives an
    upload URL (here on this server) and a file id, the bytes are POSTed there,
    ``files.completeUploadExternal`` shares the file in a channel or thread.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()  # the evidence's times count from here
        self.calls: list[Call] = []
        self.inbound: list[Inbound] = []  # what the harness sent the bot
        self.files: dict[str, Upload] = {}
        self.errors: dict[str, str] = {}  # method → Slack error code to answer with
        self.rate_limited: dict[str, int] = {}  # method → how many 429s to answer first
        self.dropped: dict[str, int] = {}  # method → how many calls to drop unanswered first
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.path.startswith("/upload/"):  # the bytes, not an API call
                    ok = fake.receive(self.path.rsplit("/", 1)[-1], self.rfile.read(length))
                    self.send_response(200 if ok else 404)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK" if ok else b"no")
                    return
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                    if isinstance(args.get("blocks"), str):
                        args["blocks"] = json.loads(args["blocks"])
                status, body, headers = fake.answer(self.path, args)
                if status == DROP:  # the connection breaks before any answer
                    self.close_connection = True
                    return
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.api_url = self.base + "/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def answer(self, path: str, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else "response_url"
        if method == "response_url":
            args = {**args, "user": path.rsplit("/", 1)[-1]}  # /response/<user>
        with self._lock:
            if self.dropped.get(method, 0) > 0:
                self.dropped[method] -= 1
                self.calls.append(Call(method + ":dropped", args))
                return DROP, {}, {}
            if self.rate_limited.get(method, 0) > 0:
                self.rate_limited[method] -= 1
                self.calls.append(Call(method + ":429", args))
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}
            if method in self.errors:
                self.calls.append(Call(method + ":error", args))
                return 200, {"ok": False, "error": self.errors[method]}, {}
            ts = None
            if method in ("chat.postMessage", "chat.postEphemeral"):
                ts = f"1700000000.{next(self._ts):06d}"
            self.calls.append(Call(method, args, ts))
        if method == "auth.test":
            body = {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "B0BOT",
                "team_id": TEAM,
                "user": "hostnet",
                "team": "Test",
                "url": "https://test.slack.com/",
            }
        elif method == "chat.postMessage":
            body = {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            }
        elif method == "chat.postEphemeral":
            body = {"ok": True, "message_ts": ts}
        elif method == "chat.update":
            body = {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        elif method == "files.getUploadURLExternal":
            body = self._upload_url(args)
        elif method == "files.completeUploadExternal":
            body = self._complete_upload(args)
        else:
            body = {"ok": True}
        return 200, body, {}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        alt = args.get("alt_txt")
        if not args.get("filename") or int(args.get("length") or 0) <= 0:
            return {"ok": False, "error": "missing_argument"}
        if alt is not None and len(alt) > ALT_TXT_LIMIT:
            return {"ok": False, "error": "alt_txt_too_large"}
        with self._lock:
            file_id = f"F{len(self.files) + 1:08d}"
            self.files[file_id] = Upload(file_id, args["filename"], alt, int(args["length"]))
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def receive(self, file_id: str, data: bytes) -> bool:
        with self._lock:
            upload = self.files.get(file_id)
            if upload is None:
                return False
            upload.data = data
        return True

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        done = []
        with self._lock:
            for item in json.loads(args.get("files") or "[]"):
                upload = self.files.get(item.get("id"))
                if upload is None or upload.data is None or len(upload.data) != upload.length:
                    return {"ok": False, "error": "file_not_found"}  # nothing (or not all) sent
                upload.title = item.get("title")
                upload.channel = args.get("channel_id")
                upload.thread_ts = args.get("thread_ts")
                upload.completed = True
                done.append({"id": upload.file_id, "title": upload.title, "name": upload.filename})
        return {"ok": True, "files": done}

    def uploads(self, *, thread_ts: str | None = None) -> list[Upload]:
        """The files shared (completed uploads), in ``thread_ts``'s thread if given."""
        with self._lock:
            return [
                u
                for u in self.files.values()
                if u.completed and (thread_ts is None or u.thread_ts == thread_ts)
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what was recorded ----------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self, *, thread_ts: str | None = None, top_level: bool = False) -> list[Call]:
        calls = self.of("chat.postMessage")
        if top_level:
            return [c for c in calls if "thread_ts" not in c.args]
        if thread_ts is not None:
            return [c for c in calls if c.args.get("thread_ts") == thread_ts]
        return calls

    def replies_to(self, user: str) -> list[str]:
        """What only ``user`` saw: ephemeral messages and slash-command responses."""
        return [
            c.text()
            for c in self.calls
            if c.method in ("chat.postEphemeral", "response_url") and c.args.get("user") == user
        ]

    def live_buttons(self, ts: str) -> bool:
        """Whether message ``ts``, as it stands after its updates, has buttons."""
        with self._lock:
            versions = [
                c
                for c in self.calls
                if (c.method == "chat.postMessage" and c.ts == ts)
                or (c.method == "chat.update" and c.args.get("ts") == ts)
            ]
        return bool(versions and versions[-1].buttons())

    def last_with(self, action_id: str, thread_ts: str | None = None) -> Call:
        """The newest posted message that has a button ``action_id``."""
        for call in reversed(self.posts(thread_ts=thread_ts)):
            if action_id in call.buttons():
                return call
        raise AssertionError(f"no message with a {action_id} button; posted: {self.dump()}")

    def dump(self) -> str:
        return "\n---\n".join(
            f"{c.method} {c.args.get('thread_ts', '')}: {c.text()}" for c in self.calls
        )


# ---------------------------------------------------------------------- requests


def signed_headers(
    body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "content-type": content_type,
        "x-slack-signature": signature,
        "x-slack-request-timestamp": ts,
    }


FORM = "application/x-www-form-urlencoded"


def slash_body(user: str, text: str, channel: str, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "workshop",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/hostnet",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def click_body(
    user: str, action_id: str, value: str, message_ts: str, channel: str, response_url: str
) -> str:
    payload = {
        "type": "block_actions",
        "token": "legacy",
        "api_app_id": "A0APP",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "channel": {"id": channel, "name": "workshop"},
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "message": {"type": "message", "ts": message_ts, "text": "…"},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def mention_body(user: str, text: str, event_id: str, channel: str) -> str:
    ts = f"{time.time():.6f}"
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {
                "type": "app_mention",
                "user": user,
                "text": text,
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
            },
        }
    )


# ---------------------------------------------------------------------- targets


@dataclass
class Ran:
    """One command or probe on a lab: when it began, when it ended and how."""

    lab: str
    command: str
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    outcome: str = ""


class RecordingTarget:
    """A real target that also notes which lab ran which command, and when."""

    def __init__(
        self,
        inner: Target,
        log: list[tuple[str, str]],
        durations: list[tuple[str, float]],
        history: list[Ran],
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.address = inner.address
        self.log = log
        self.durations = durations
        self.history = history

    def run(self, command: str, *, timeout: float, on_output: Any = None) -> CommandResult:
        self.log.append((self.name, command))
        ran = Ran(self.name, command)
        self.history.append(ran)
        try:
            result = self.inner.run(command, timeout=timeout, on_output=on_output)
        except BaseException as exc:
            ran.ended, ran.outcome = time.monotonic(), f"raised {type(exc).__name__}: {exc}"
            raise
        ran.ended = time.monotonic()
        ran.outcome = f"exit {result.exit_code}" + (" (timed out)" if result.timed_out else "")
        self.durations.append((command, result.duration))
        return result

    def docker(self) -> Any:
        return self.inner.docker()

    def __getattr__(self, name: str) -> Any:  # the typed probes: listeners, interfaces, …
        value = getattr(self.inner, name)
        if name.startswith("_") or not callable(value):
            return value

        def probe(*args: Any, **kwargs: Any) -> Any:
            ran = Ran(self.name, f"(probe) {name} {' '.join(map(str, args))}".rstrip())
            self.history.append(ran)
            try:
                found = value(*args, **kwargs)
            except BaseException as exc:
                ran.ended, ran.outcome = time.monotonic(), f"raised {type(exc).__name__}: {exc}"
                raise
            ran.ended, ran.outcome = time.monotonic(), "ok"
            return found

        return probe

    def close(self) -> None:
        self.inner.close()


@dataclass
class Labs:
    """The target factory the bot gets: real targets, recorded; some labs down."""

    runs: list[tuple[str, str]] = field(default_factory=list)
    durations: list[tuple[str, float]] = field(default_factory=list)  # (command, seconds)
    down: set[str] = field(default_factory=set)
    opened: list[str] = field(default_factory=list)
    history: list[Ran] = field(default_factory=list)  # with times (the evidence)

    def __call__(self, lab: LabSpec) -> Target:
        self.opened.append(lab.name)
        if lab.name in self.down:
            raise TargetError(
                f"lab {lab.name} (root@10.0.0.9:22) is unreachable: [Errno 113] No route to host",
                hint="is the lab VM up (`vagrant status`), and is its address right?",
            )
        return RecordingTarget(lab.open(), self.runs, self.durations, self.history)

    def commands(self, lab: str | None = None) -> list[str]:
        return [c for name, c in self.runs if lab is None or name == lab]


# ---------------------------------------------------------------------- the bot


class BotHarness:
    def __init__(self, fake: FakeSlack, config_file: Path, labs: Labs) -> None:
        self.fake = fake
        self.config_file = config_file
        self.labs = labs
        self.config = load_config(config_file)
        self.bot: Bot = self._build()

    def _build(self) -> Bot:
        client = web_client(BOT_TOKEN, base_url=self.fake.api_url)
        bot = build(
            self.config,
            Secrets(bot_token=BOT_TOKEN, signing_secret=SECRET),
            client=client,
            open_target=self.labs,
        )
        bot.parts.recovery.recover()
        return bot

    def restart(self) -> None:
        """Stop this bot (as a process exit would) and start a new one on the same database."""
        self.bot.close()
        self.bot = self._build()
        self.settle()

    def close(self) -> None:
        self.bot.close()

    def dispatch(self, body: str, content_type: str, **extra: str) -> BoltResponse:
        headers = {**signed_headers(body, content_type), **extra}
        inbound = Inbound(*describe_request(body))
        self.fake.inbound.append(inbound)
        response = self.bot.app.dispatch(BoltRequest(body=body, headers=headers))
        inbound.status = response.status
        return response

    def slash(self, user: str, text: str, channel: str = CHANNEL) -> BoltResponse:
        url = f"{self.fake.base}/response/{user}"
        response = self.dispatch(slash_body(user, text, channel, url), FORM)
        self.settle()
        return response

    def click(
        self, user: str, call: Call, action_id: str, channel: str = CHANNEL, settle: bool = True
    ) -> BoltResponse:
        assert call.ts is not None
        value = call.buttons()[action_id]
        url = f"{self.fake.base}/response/{user}"
        response = self.dispatch(click_body(user, action_id, value, call.ts, channel, url), FORM)
        if settle:
            self.settle()
        return response

    def mention(
        self, user: str, text: str, event_id: str, channel: str = CHANNEL, **extra: str
    ) -> BoltResponse:
        body = mention_body(user, f"<@{BOT_USER}> {text}", event_id, channel)
        response = self.dispatch(body, "application/json", **extra)
        self.settle()
        return response

    def settle(self, timeout: float = 120) -> None:
        if self.bot.wait_idle(timeout):
            return
        busy = [x for x in self.bot.store.sessions() if x.is_open or x.running]
        raise AssertionError(
            f"the bot did not finish its work within {timeout:g} s "
            f"({self.bot.listeners.pending} listener(s), {self.bot.workers.pending} job(s) left)\n"
            + "\n".join(self.explain(user) for user in dict.fromkeys(s.learner for s in busy))
        )

    def explain(self, user: str) -> str:
        """The learner's thread, their session row and their lab's last commands."""
        return evidence.explain(self.fake, self.bot.store, self.labs, user)

    # -- a lesson's thread ------------------------------------------------------------

    def thread_of(self, user: str) -> str:
        """The thread of ``user``'s newest lesson."""
        for call in reversed(self.fake.posts(top_level=True)):
            if f"<@{user}> is taking this lesson" in call.text():
                assert call.ts is not None
                return call.ts
        raise AssertionError(f"no lesson thread for {user}: {self.fake.dump()}")

    def step_message(self, user: str) -> Call:
        return self.fake.last_with("hostnet.run", self.thread_of(user))

    def run_step(self, user: str) -> Call:
        """Click Run on the current step; returns the result message posted for it."""
        thread = self.thread_of(user)
        before = len(self.fake.posts(thread_ts=thread))
        self.click(user, self.step_message(user), "hostnet.run")
        results = [
            c
            for c in self.fake.posts(thread_ts=thread)[before:]
            if "passed* on" in c.text() or "failed* on" in c.text()
        ]
        assert len(results) == 1, self.explain(user)
        return results[0]


def describe_request(body: str) -> tuple[str, str]:
    """(user, what) of a request body: a click, a slash command or an event."""
    try:
        if body.startswith("payload="):
            payload = json.loads(urllib.parse.unquote(body[len("payload=") :]))
            action = payload["actions"][0]
            what = f"click {action['action_id']}={action['value']}"
            return payload["user"]["id"], f"{what} on {payload['container']['message_ts']}"
        if body.startswith("{"):
            event = json.loads(body).get("event", {})
            return str(event.get("user")), f"event {event.get('type')}: {event.get('text')}"
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        return form.get("user_id", "?"), f"{form.get('command')} {form.get('text', '')}"
    except (ValueError, KeyError, IndexError, TypeError):
        return "?", f"a request of {len(body)} bytes"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def echo_lessons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """A lessons folder with the harmless echo lesson (``first`` = step 1's command)."""

    def make(first: str = "echo first @{word}") -> Path:
        folder = tmp_path / "lessons"
        folder.mkdir(exist_ok=True)
        (folder / "01-echo.yaml").write_text(ECHO_LESSON.replace("FIRST_COMMAND", first))
        monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(folder))
        return folder

    return make


def write_config(tmp_path: Path, labs: list[dict[str, Any]], **settings: Any) -> Path:
    data: dict[str, Any] = {
        "database": "bot.sqlite",
        "labs": labs,
        "allowed_users": [ALICE, BOB, CAROL, TEACHER],
        "allowed_channels": [CHANNEL],
        "instructors": [TEACHER],
        "message_interval_seconds": 0,
        **settings,
    }
    path = tmp_path / "hostnet-bot.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def make_bot(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Callable[..., BotHarness]]:
    made: list[BotHarness] = []

    def make(
        labs: list[dict[str, Any]] | None = None,
        *,
        target_factory: Labs | None = None,
        **settings: Any,
    ) -> BotHarness:
        config = write_config(tmp_path, labs or [{"name": "lab-01", "local": True}], **settings)
        harness = BotHarness(fake_slack, config, target_factory or Labs())
        made.append(harness)
        return harness

    yield make
    try:
        for harness in made:  # the bot's state holds together after every test
            harness.settle()
            broken = harness.bot.violations(buttons=fake_slack.live_buttons)
            assert not broken, "bot state invariants broken:\n" + "\n".join(broken)
    finally:
        for harness in made:
            harness.close()


@pytest.fixture
def http_bot(make_bot, echo_lessons) -> Iterator[tuple[BotHarness, str]]:
    """The bot behind bolt's real WSGI adapter on 127.0.0.1 (HTTP mode)."""
    echo_lessons()
    bot = make_bot()
    server = make_http_server(bot.bot.app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield bot, f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()
