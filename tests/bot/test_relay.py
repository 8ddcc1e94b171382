"""The relay that puts the stand-in for Slack a round trip away (hostnet.bot.testing.relay)."""

from __future__ import annotations

import socket
import threading
import time

from hostnet.bot.slack import web_client
from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.relay import DelayRelay
from hostnet.bot.testing.requests import BOT_TOKEN, CHANNEL


def echo_server() -> socket.socket:
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_each_exchange_takes_the_round_trip_and_arrives_whole() -> None:
    server = echo_server()
    relay = DelayRelay(server.getsockname()[1], rtt=0.1)
    try:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as client:
            for size in (5, 200_000):  # a word, and chunks the relay passes on in order
                message = bytes(i % 251 for i in range(size))
                began = time.monotonic()
                client.sendall(message)
                got = b""
                while len(got) < size:
                    got += client.recv(65536)
                assert time.monotonic() - began >= 0.1
                assert got == message
            client.shutdown(socket.SHUT_WR)  # the end is passed on too: the echo hangs up
            assert client.recv(1) == b""
        assert relay.cpu > 0
    finally:
        relay.close()
        server.close()


def test_the_stand_in_away_is_reached_through_its_relay() -> None:
    fake = FakeSlack(away=0.05)
    try:
        assert fake.relay is not None and fake.api_url.endswith(f":{fake.relay.port}/api/")
        client = web_client(BOT_TOKEN, base_url=fake.api_url)
        began = time.monotonic()
        client.chat_postMessage(channel=CHANNEL, text="far")
        assert time.monotonic() - began >= 0.05
        assert [c.text() for c in fake.of("chat.postMessage")] == ["far"]
    finally:
        fake.close()
