"""An exec channel on this machine: a real shell process with pipes, offering what
the probe server and the Engine API stream ask of an SSH channel (sendall,
makefile, settimeout, close). The processes are real; only the transport is
local instead of SSH."""

from __future__ import annotations

import contextlib
import os
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

    def sendall(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def makefile(self, *mode: Any) -> Any:
        """A reader of its own, as a channel gives (http.client closes each one)."""
        assert self.proc.stdout is not None
        return os.fdopen(os.dup(self.proc.stdout.fileno()), "rb")

    def settimeout(self, timeout: float | None) -> None:
        pass  # pipes have no timeout; the tests' processes answer or end

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(BrokenPipeError):  # unsent data, the reader gone
                    pipe.close()


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
            channel.close()
