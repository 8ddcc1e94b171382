"""HTTP mode: bolt's WSGI adapter on a small threaded stdlib server.

Bolt verifies every request's signature (``X-Slack-Signature``, HMAC of the
body with the signing secret) and its timestamp (at most five minutes old)
before any listener runs; anything else gets 401.
"""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_http_server(app: App, host: str, port: int, path: str = "/slack/events") -> WSGIServer:
    """A server for ``serve_forever()``; port 0 picks a free one (``server.server_port``)."""
    return make_server(host, port, SlackRequestHandler(app, path=path), _ThreadingServer, _Handler)
