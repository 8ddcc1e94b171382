"""HTTP mode: bolt's WSGI adapter on a small threaded stdlib server.

Every request's signature (``X-Slack-Signature``, HMAC of the body with the
signing secret) and timestamp (at most five minutes old) are checked here,
before bolt sees the body: bolt parses the body first and would answer a
malformed one with a 500 and a traceback. Anything unsigned gets 401.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # Slack's payloads are a few kB; a MiB is plenty

StartResponse = Callable[..., Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_http_server(app: App, host: str, port: int, path: str = "/slack/events") -> WSGIServer:
    """A server for ``serve_forever()``; port 0 picks a free one (``server.server_port``)."""
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

    return make_server(host, port, guarded, _ThreadingServer, _Handler)


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
