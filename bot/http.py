"""HTTP mode: bolt's WSGI adapter behind the signature check (:func:`signed_app`),
served by the stdlib's WSGI server with a real listen backlog and a bounded
pool of threads (:func:`make_http_server`), or by any WSGI server
(``hostnet.bot.wsgi:app``).

Every request's signature (``X-Slack-Signature``, HMAC of the body with the
signing secret) and timestamp (at most five minutes old) are checked here,
before bolt sees the body: bolt parses the body first and would answer a
malformed one with a 500 and a traceback. Anything unsigned gets 401.

A burst (a workshop clicking at once) is never refused: the server listens with
a backlog of :data:`BACKLOG` connections (the stdlib's default is 5: Slack then
sees refused connections and "dispatch_failed"), and when every thread is busy
it stops accepting for a moment, so the kernel holds the next connections
instead of the server piling up threads.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # Slack's payloads are a few kB; a MiB is plenty
BACKLOG = 1024  # connections the kernel queues for us (it caps this at net.core.somaxconn)
THREADS = 32  # requests handled at once (each waits only for its ack)
IDLE = 10.0  # seconds a connection may stay silent before it is closed

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class PooledWSGIServer(WSGIServer):
    """The stdlib's WSGI server with a real backlog and at most ``threads`` threads."""

    request_queue_size = BACKLOG

    def __init__(self, address: tuple[str, int], threads: int = THREADS) -> None:
        self._slots = threading.BoundedSemaphore(threads)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="hostnet-http")
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()  # every thread busy: the kernel's backlog holds the next ones
        try:
            self._pool.submit(self._handle, request, client_address)
        except BaseException:
            self._slots.release()
            self.shutdown_request(request)
            raise

    def _handle(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=True)


class _Handler(WSGIRequestHandler):
    timeout = IDLE  # a client that connects and sends nothing does not hold a thread for long

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_http_server(
    app: App, host: str, port: int, path: str = "/slack/events", *, threads: int = THREADS
) -> PooledWSGIServer:
    """A server for ``serve_forever()``; port 0 picks a free one (``server.server_port``)."""
    server = PooledWSGIServer((host, port), threads)
    server.set_app(signed_app(app, path))
    return server


def signed_app(app: App, path: str = "/slack/events") -> WsgiApp:
    """The bot as a WSGI application: Slack's signature checked before anything else."""
    bolt = SlackRequestHandler(app, path=path)
    secret = app._signing_secret.encode()  # the App's own secret

    def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != path:
            return bolt(environ, start_response)  # bolt's own 404 / OAuth pages
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            _drain(environ["wsgi.input"], length)  # so the client reads our answer, not a reset
            return _answer(start_response, "413 Content Too Large", "request body too large")
        body = environ["wsgi.input"].read(length)
        valid = _signed(
            secret,
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        )
        if not valid:
            return _answer(start_response, "401 Unauthorized", "invalid request signature")
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return bolt(environ, start_response)
        except Exception:  # a signed but malformed payload: refuse, stay up
            log.exception("malformed request refused")
            return _answer(start_response, "400 Bad Request", "malformed request")

    return guarded


def _drain(stream: Any, length: int, limit: int = 64 * MAX_BODY) -> None:
    """Read and drop an oversized body (up to ``limit``; beyond, the client's problem)."""
    left = min(length, limit)
    while left > 0:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            break
        left -= len(chunk)


def _signed(secret: bytes, body: bytes, timestamp: str, signature: str) -> bool:
    """Slack's v0 signature over the raw body, and a timestamp at most 5 minutes off."""
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return False
    if abs(time.time() - int(timestamp)) > 300:
        return False
    mac = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + mac.hexdigest(), signature)


def _answer(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode() + b"\n"]
