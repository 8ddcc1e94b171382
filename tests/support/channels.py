"""An exec channel on this machine: a real shell process with pipes, offering what
the probe server, the command server and the Engine API stream ask of an SSH
channel (sendall, recv, makefile, settimeout, close). The processes are real; only the transport is
local instead of SSH."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
from typing import Any


class LocalChannel:
    def __init__(self, command: str) -> None:
        self.proc = subprocess.Popen(
            ["bash", "-c", command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.commands = [command]
        self.timeout: float | None = None

    def sendall(self, data: bytes) -> None:
        """As a channel whose process has ended but that is still open: data is dropped
        (a pipe would raise BrokenPipeError; the process's end shows on the reading side)."""
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def makefile(self, *mode: Any) -> Any:
        """A reader of its own, as a channel gives (http.client closes each one)."""
        assert self.proc.stdout is not None
        return os.fdopen(os.dup(self.proc.stdout.fileno()), "rb")

    def settimeout(self, timeout: float | None) -> None:
        self.timeout = timeout  # for recv (a makefile reader waits: the tests' processes answer)

    def recv(self, size: int) -> bytes:
        """As a channel's recv: what is there, b"" at the end, socket.timeout if nothing came."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], self.timeout)[0]:
            raise TimeoutError("timed out")
        return os.read(fd, size)

    def close(self) -> None:
        """As sshd does when a channel closes: the process's pipes close, no signal."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(BrokenPipeError):  # unsent data, the reader gone
                    pipe.close()

    def end(self) -> None:
        """Close, and kill the process if it has not ended a few seconds later."""
        self.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Opener:
    """``open_channel(command)`` for the server, keeping what it opened; ``replace``
    swaps the command (e.g. for one that cannot start)."""

    def __init__(self, replace: dict[str, str] | None = None) -> None:
        self.opened: list[LocalChannel] = []
        self.replace = replace or {}

    def __call__(self, command: str) -> LocalChannel:
        channel = LocalChannel(self.replace.get(command, command))
        self.opened.append(channel)
        return channel

    def close(self) -> None:
        for channel in self.opened:
            channel.end()
