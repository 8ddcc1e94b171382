"""Slack's Web API on 127.0.0.1: records calls, answers like Slack (the parts the
bot uses: chat.postMessage, chat.update, chat.postEphemeral, response_url posts);
over plain HTTP, or over TLS with a certificate of :mod:`.tls`."""

from __future__ import annotations

import itertools
import json
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .relay import DelayRelay
from .requests import BOT_USER, TEAM


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

    ``away``: the round trip, in seconds, between a client and this stand-in (a
    :class:`~.relay.DelayRelay` in front of it), as Slack is away from a bot.
    """

    def __init__(self, *, tls: ssl.SSLContext | None = None, away: float = 0.0) -> None:
        self.started = time.monotonic()  # the evidence's times count from here
        self.calls: list[Call] = []
        self.inbound: list[Inbound] = []  # what the harness sent the bot
        self.files: dict[str, Upload] = {}
        self.errors: dict[str, str] = {}  # method → Slack error code to answer with
        self.rate_limited: dict[str, int] = {}  # method → how many 429s to answer first
        self.dropped: dict[str, int] = {}  # method → how many calls to drop unanswered first
        self.slow: dict[str, float] = {}  # method → seconds each call's answer is held back
        self._lock = threading.Lock()
        self.arrived = threading.Condition()  # notified after every call (waiting learners)
        self._cpu = 0.0  # CPU seconds of its request threads
        self.connections = 0  # connections accepted (a client that keeps them open: few)
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            protocol_version = "HTTP/1.1"  # as Slack: a connection serves many calls
            disable_nagle_algorithm = True  # the answer leaves at once, as Slack's does

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake.connections += 1

            def handle_one_request(self) -> None:  # (a TLS handshake: in the first)
                began = time.thread_time()
                try:
                    super().handle_one_request()
                finally:
                    with fake._lock:
                        fake._cpu += time.thread_time() - began

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
                with fake.arrived:
                    fake.arrived.notify_all()
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
        scheme = "http"
        if tls is not None:  # the handshake happens in the request's thread, on its first read
            self.server.socket = tls.wrap_socket(
                self.server.socket, server_side=True, do_handshake_on_connect=False
            )
            scheme = "https"
        self.relay = DelayRelay(self.server.server_port, away) if away else None
        port = self.server.server_port if self.relay is None else self.relay.port
        self.base = f"{scheme}://127.0.0.1:{port}"
        self.api_url = self.base + "/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def cpu(self) -> float:
        """CPU seconds its request threads (and its relay's) used: a benchmark keeps it apart."""
        return self._cpu + (self.relay.cpu if self.relay is not None else 0.0)

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
        time.sleep(self.slow.get(method, 0.0))
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
        if self.relay is not None:
            self.relay.close()
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
