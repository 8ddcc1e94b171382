"""What a long-lived process on a lab is reached through: an SSH exec channel.

The lab's process for commands and facts (:mod:`.labprocess`) and its Engine
API stream (:mod:`.dockerapi.stream`) each hold one; paramiko's ``Channel`` is
one, and so is the tests' local stand-in (pipes to a real process).
"""

from __future__ import annotations

from typing import Any, Protocol


class Channel(Protocol):
    def sendall(self, data: bytes) -> None: ...

    def recv(self, size: int) -> bytes: ...

    def makefile(self, *mode: Any) -> Any: ...

    def settimeout(self, timeout: float | None) -> None: ...

    def close(self) -> None: ...
