"""Keep-alive for the bot's Web API calls (hostnet.bot.keepalive), against real
HTTP servers on 127.0.0.1: the stand-in for Slack, and small servers that
misbehave the ways a keep-alive client must survive."""

from __future__ import annotations

import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hostnet.bot import keepalive
from hostnet.bot.slack import web_client
from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.requests import BOT_TOKEN, CHANNEL


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


class Server:
    """HTTP/1.1 on 127.0.0.1 that answers every request with its path, and records
    each request's Connection header and each connection it accepted."""

    def __init__(self, *, hang_up: bool = False, status: int = 200) -> None:
        self.connections = 0
        self.connection_headers: list[str | None] = []
        self.hung_up = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                server.connections += 1

            def do_GET(self) -> None:
                server.connection_headers.append(self.headers.get("Connection"))
                data = self.path.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                # hanging up without a "Connection: close": as a server ends an idle connection
                self.close_connection = hang_up

            def finish(self) -> None:
                super().finish()
                self.connection.close()
                server.hung_up.set()

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return str(answer.read().decode())

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def kept(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A Server whose connections the default opener keeps (``indirect`` options)."""
    server = Server(**getattr(request, "param", {}))
    keepalive.reuse_connections(server.url, ssl.create_default_context())
    yield server
    server.close()


def test_a_clients_calls_share_one_connection(fake_slack: FakeSlack) -> None:
    client = web_client(BOT_TOKEN, base_url=fake_slack.api_url)
    for i in range(20):
        assert client.chat_postMessage(channel=CHANNEL, text=f"m{i}")["message"]["text"] == f"m{i}"
    assert fake_slack.connections == 1
    assert len(fake_slack.of("chat.postMessage")) == 20  # each sent once


def test_calls_from_many_threads_each_get_their_own_answer(fake_slack: FakeSlack) -> None:
    """A connection serves one call at a time: answers never cross between threads."""
    client = web_client(BOT_TOKEN, base_url=fake_slack.api_url)
    wrong: list[str] = []

    def post(t: int) -> None:
        for i in range(15):
            text = f"thread {t} message {i}"
            got = client.chat_postMessage(channel=CHANNEL, text=text)["message"]["text"]
            if got != text:
                wrong.append(f"{text!r} was answered {got!r}")

    threads = [threading.Thread(target=post, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(fake_slack.of("chat.postMessage")) == 16 * 15
    assert fake_slack.connections <= 16
    assert len(keepalive._handler._idle) <= keepalive.MAX_IDLE


def test_kept_connections_send_no_close(kept: Server) -> None:
    assert [kept.get(f"/{i}") for i in range(3)] == ["/0", "/1", "/2"]
    assert kept.connection_headers == [None, None, None]
    assert kept.connections == 1


def test_other_hosts_are_opened_as_urllib_opens_them(kept: Server) -> None:
    other = Server()
    try:
        assert [other.get(f"/{i}") for i in range(3)] == ["/0", "/1", "/2"]
        assert other.connection_headers == ["close", "close", "close"]
        assert other.connections == 3
    finally:
        other.close()


@pytest.mark.parametrize("kept", [{"hang_up": True}], indirect=True)
def test_a_connection_the_server_ended_is_not_reused(kept: Server) -> None:
    """The server hangs up after each answer, unannounced: the next call notices
    before it sends, and opens a new connection instead of failing."""
    for i in range(3):
        assert kept.get(f"/{i}") == f"/{i}"
        assert kept.hung_up.wait(10)
        kept.hung_up.clear()
    assert kept.connections == 3


def test_an_idle_connection_is_not_reused_after_the_idle_limit(
    kept: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keepalive, "IDLE_SECONDS", 0.0)
    for i in range(3):
        assert kept.get(f"/{i}") == f"/{i}"
    assert kept.connections == 3


@pytest.mark.parametrize("kept", [{"status": 404}], indirect=True)
def test_an_error_status_is_urllibs_httperror_and_the_connection_stays(kept: Server) -> None:
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as error:
            kept.get("/missing")
        assert error.value.code == 404
        assert error.value.read() == b"/missing"
    assert kept.connections == 1


def test_a_host_that_refuses_is_a_urlerror_as_with_urllib(kept: Server) -> None:
    kept.close()
    with pytest.raises(urllib.error.URLError) as refused:
        kept.get("/")
    assert isinstance(refused.value.reason, ConnectionRefusedError)


def test_only_the_latest_hosts_are_kept(kept: Server) -> None:
    """Each kept host holds a TLS context (the CAs: about 1 MB); a process that makes
    clients for many hosts (the tests, the bench) keeps only the latest few."""
    assert kept.get("/") == "/"
    for port in range(keepalive.MAX_HOSTS):
        context = ssl.create_default_context()
        keepalive.reuse_connections(f"https://127.0.0.1:{40000 + port}/api/", context)
    assert len(keepalive._handler._kept) == keepalive.MAX_HOSTS
    assert kept.get("/again") == "/again"  # let go: opened as urllib opens it, and closed
    assert kept.connection_headers == [None, "close"]
    assert kept.connections == 2
