"""A link with a round trip, on 127.0.0.1: Slack as far away as it is from a bot.

The stand-in for Slack answers on this machine's loopback within microseconds;
Slack answers across the Internet. :class:`DelayRelay` stands between them: a TCP
relay that holds every chunk for half the round trip, in each direction, in order.
It cannot hold TCP's own handshake (the client's connect is answered by the relay
at once), so a new connection through it costs one round trip less than a real one.
"""

from __future__ import annotations

import queue
import socket
import threading
import time


class DelayRelay:
    """A TCP relay on 127.0.0.1 to ``port``, ``rtt`` seconds of round trip."""

    def __init__(self, port: int, rtt: float) -> None:
        self.target, self.delay = port, rtt / 2
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.cpu = 0.0  # CPU seconds of its threads (a benchmark keeps it apart)
        self._counted = threading.local()  # each thread's CPU when it last counted
        threading.Thread(target=self._accept, name="delay-relay", daemon=True).start()

    def close(self) -> None:
        self.listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                far = socket.create_connection(("127.0.0.1", self.target))
            except OSError:  # nothing there (any more): this connection ends at once
                near.close()
                continue
            for sock in (near, far):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [near, far]
            self._pipe(near, far)
            self._pipe(far, near)
            self._count()

    def _count(self) -> None:
        """Add the calling thread's CPU since its last count."""
        now = time.thread_time()
        counted = getattr(self._counted, "cpu", 0.0)
        self._counted.cpu = now
        with self._lock:
            self.cpu += now - counted

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        """One direction: a reader stamps each chunk, a writer passes it on when due."""
        held: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def read() -> None:
            data = b"-"
            while data:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                held.put((time.monotonic() + self.delay, data))
                self._count()

        def write() -> None:
            while True:
                due, data = held.get()
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    if not data:
                        sink.shutdown(socket.SHUT_WR)
                        return
                    sink.sendall(data)
                except OSError:
                    return
                finally:
                    self._count()

        threading.Thread(target=read, name="delay-relay-in", daemon=True).start()
        threading.Thread(target=write, name="delay-relay-out", daemon=True).start()
