"""How the outside probe reads the answer ``nc`` printed (no Docker needed)."""

from __future__ import annotations

from hostnet.engine.outside import parse_reply


def test_a_reply_with_crlf_headers_gives_its_status_and_body() -> None:
    reply = parse_reply("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>hi</h1>\r\n\r\nmore")
    assert reply is not None
    assert (reply.status, reply.body) == (200, "<h1>hi</h1>\r\n\r\nmore")


def test_headers_ending_in_a_bare_lf_still_give_the_body() -> None:
    """busybox httpd sends its status line with CRLF and a CGI script's own headers as
    the script wrote them, often with LF only: the body must not be lost."""
    raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nInter-|   Receive\n    lo: 1 2\n"
    reply = parse_reply(raw)
    assert reply is not None
    assert reply.status == 200
    assert reply.body.startswith("Inter-|") and "lo: 1 2" in reply.body


def test_a_status_without_a_body_and_no_http_at_all() -> None:
    reply = parse_reply("HTTP/1.0 404 Not Found\r\n")
    assert reply is not None and (reply.status, reply.body) == (404, "")
    assert parse_reply("") is None
    assert parse_reply("nc: can't connect to remote host: Connection refused") is None
