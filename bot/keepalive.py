"""Keep-alive for the bot's calls to Slack's Web API: connections are reused.

slack_sdk's ``WebClient`` makes its calls with urllib, which opens a connection
per request and asks the server to close it (``Connection: close``). Against
Slack, over HTTPS, every Web API call then pays a TCP connect and a TLS handshake:
two round trips or more of waiting than on an open connection, and 1.7 ms more
of the bot's CPU here (bench/slack_tls.py). A learner's lesson 1 makes 33 calls.

:func:`reuse_connections` makes urllib's default opener (the one ``urlopen``
uses when given no context, as slack_sdk calls it when its ``ssl`` is None) keep
the connections to one host open and reuse them, one caller at a time each:

* an idle connection the server has closed (or sent anything on) is not reused,
  and none is reused after :data:`IDLE_SECONDS`, before a NAT forgets it;
* a request fails as it would on a new connection (the same exceptions, so the
  client's retry handlers act alike); it is never sent twice here;
* other hosts (a response_url, a file upload URL) are opened as urllib always
  opens them, with the same TLS context.

The opener is process-wide state, as urllib's is: the bot is a process of its own.
"""

from __future__ import annotations

import http.client
import io
import select
import ssl
import threading
import time
import urllib.error
import urllib.request
import urllib.response
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

IDLE_SECONDS = 30.0  # an idle connection older than this is closed, not reused
MAX_IDLE = 16  # idle connections kept open, all hosts together (the oldest go first)
MAX_HOSTS = 4  # hosts kept (a bot has one; beyond, the one kept longest is let go)

Key = tuple[str, str]  # (scheme, host[:port])


class _KeepAlive(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """urllib's handler for http and https, reusing connections to the hosts it keeps."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, ssl.SSLContext] = OrderedDict()  # host[:port] → context
        self._idle: list[tuple[Key, float, http.client.HTTPConnection]] = []  # oldest first

    def keep(self, host: str, context: ssl.SSLContext) -> None:
        with self._lock:
            self._kept[host] = context
            self._kept.move_to_end(host)
            self._context = context  # urllib's own HTTPS opens (other hosts) use it too
            gone = set()
            while len(self._kept) > MAX_HOSTS:  # (a context holds the CAs: about 1 MB)
                gone.add(self._kept.popitem(last=False)[0])
            stale = [conn for (_, h), _, conn in self._idle if h in gone]
            self._idle = [item for item in self._idle if item[0][1] not in gone]
        for conn in stale:
            conn.close()

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        if req.host in self._kept:
            return self._exchange(req, lambda: http.client.HTTPConnection(req.host))
        return super().http_open(req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = self._kept.get(req.host)
        if context is not None:
            return self._exchange(
                req, lambda: http.client.HTTPSConnection(req.host, context=context)
            )
        return super().https_open(req)

    def _exchange(
        self, req: urllib.request.Request, connect: Callable[[], http.client.HTTPConnection]
    ) -> http.client.HTTPResponse:
        """One request on a kept connection (or a new one), answered like urllib's own."""
        key = (req.type, req.host)
        conn = self._take(key) or connect()
        timeout = req.timeout if isinstance(req.timeout, (int, float)) else None
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        headers = dict(req.unredirected_hdrs)  # as urllib builds them, without "close"
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        headers = {name.title(): value for name, value in headers.items()}
        try:
            try:
                conn.request(
                    req.get_method(), req.selector, req.data, headers,
                    encode_chunked=req.has_header("Transfer-encoding"),
                )  # fmt: skip
            except OSError as err:  # as urllib: a failure to send is a URLError
                raise urllib.error.URLError(err) from err
            response = conn.getresponse()
            body = response.read()
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            self._give(key, conn)
        answer = urllib.response.addinfourl(
            io.BytesIO(body), response.msg, req.get_full_url(), response.status
        )
        answer.msg = response.reason  # type: ignore[attr-defined]  # (urllib's error handlers read it)
        return answer  # type: ignore[return-value]

    def _take(self, key: Key) -> http.client.HTTPConnection | None:
        stale: list[http.client.HTTPConnection] = []
        found = None
        with self._lock:
            oldest = time.monotonic() - IDLE_SECONDS
            while self._idle and self._idle[0][1] < oldest:
                stale.append(self._idle.pop(0)[2])
            for i in range(len(self._idle) - 1, -1, -1):  # the newest first
                if self._idle[i][0] == key:
                    conn = self._idle.pop(i)[2]
                    if _closed_by_server(conn):
                        stale.append(conn)
                        continue
                    found = conn
                    break
        for conn in stale:
            conn.close()
        return found

    def _give(self, key: Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append((key, time.monotonic(), conn))
            extra = self._idle[:-MAX_IDLE] if len(self._idle) > MAX_IDLE else []
            del self._idle[: len(extra)]
        for _, _, old in extra:
            old.close()


def _closed_by_server(conn: http.client.HTTPConnection) -> bool:
    """An idle connection with anything to read has been closed (or spoiled) by the server."""
    sock = conn.sock
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    poller = select.poll()  # (select.select cannot take a descriptor above 1023)
    try:
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


_handler = _KeepAlive()


def reuse_connections(base_url: str, context: ssl.SSLContext) -> None:
    """Keep connections to ``base_url``'s host open in urllib's default opener.

    ``context`` is the TLS context for that host, and for every other HTTPS host
    opened through the default opener."""
    _handler.keep(urlsplit(base_url).netloc, context)
    urllib.request.install_opener(urllib.request.build_opener(_handler))
