"""One long-lived probe process per lab, answering every fact over one channel.

A lab's facts (listeners, interfaces, namespaces, …) come from :mod:`hostprobe`
run there. Started once per question (``python3 -`` with the source on stdin),
each fact cost the lab a python3 start (about 32 ms of its CPU). Here one
python3 on the lab loads hostprobe once and answers questions, one JSON line
each way, for as long as the lab's SSH connection lasts; it also reads the
lab's clock (``now``), which took a ``date`` process per step.

The target supplies ``open_channel(command)`` (an exec channel: sendall,
makefile, settimeout, close) and keeps the one-shot way as its fallback: a lab
without a usable python3 for a server gets the errors it always got.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import hostprobe, sockdiag
from .channels import Channel

# hostprobe, and sockdiag for it (listening sockets over netlink), each after its length.
SOURCE = b"".join(
    b"%d\n" % len(source) + source
    for source in (Path(str(m.__file__)).read_bytes() for m in (sockdiag, hostprobe))
)

# Python 3.8 or newer on the lab (as hostprobe itself). The sources arrive on stdin
# (SOURCE); then each line in is ["kind", args...], each line out is {"ok": answer}
# or {"error": "Type: message"}.
_SERVE = r"""
import json, os, sys, time, types
stdin, out = sys.stdin.buffer, sys.stdout
for name in ("sockdiag", "hostprobe"):
    source = stdin.read(int(stdin.readline()))
    probe = sys.modules[name] = types.ModuleType(name)
    exec(compile(source, name + ".py", "exec"), probe.__dict__)
out.write('{"ok": "ready"}\n')
out.flush()
for line in stdin:
    try:
        kind, *args = json.loads(line)
        reply = {"ok": time.time() if kind == "now" else probe.collect(kind, *args)}
    except Exception as exc:
        reply = {"error": "%s: %s" % (type(exc).__name__, exc)}
    out.write(json.dumps(reply) + "\n")
    out.flush()
os._exit(0)  # (every reply was flushed; an interpreter's teardown is CPU for nothing)
"""
COMMAND = f"exec python3 -S -c {shlex.quote(_SERVE)}"  # -S: the standard library only, no site


class Unavailable(Exception):
    """No answer from the server (it could not start, or it broke): ask the one-shot way."""


class ProbeServer:
    """The client side: ``ask(kind, *args)`` → the fact, as hostprobe answers it."""

    def __init__(self, open_channel: Callable[[str], Channel], *, timeout: float = 30.0) -> None:
        self._open_channel = open_channel
        self._timeout = timeout
        self._channel: Channel | None = None
        self._reader: Any = None
        self._lock = threading.Lock()
        self.disabled: str | None = None  # why the lab cannot run one (it never started)

    def ask(self, kind: str, *args: str) -> Any:
        """The answer; raises :class:`Unavailable`, or ``ValueError`` with the
        probe's own error (a question hostprobe could not answer)."""
        with self._lock:
            if self.disabled is not None:
                raise Unavailable(self.disabled)
            if self._channel is None:
                self._start()
            try:
                reply = self._exchange([kind, *args])
            except Unavailable:
                self._drop()
                raise
        if "error" in reply:
            raise ValueError(str(reply["error"]))
        return reply.get("ok")

    def path(self) -> str:
        """How facts are read on the lab (``doctor --lab`` shows it)."""
        try:
            self.ask("now")
        except Unavailable as exc:
            return f"one python3 per fact (no probe server: {exc})"
        return "one python3 process on the lab answers every fact"

    def _start(self) -> None:
        try:
            channel = self._open_channel(COMMAND)
            channel.settimeout(self._timeout)
            channel.sendall(SOURCE)
            self._channel, self._reader = channel, channel.makefile("rb")
            ready = self._read()
        except Unavailable as exc:
            self._drop()
            self.disabled = str(exc)
            raise
        except Exception as exc:  # the channel could not open: the link, not python3
            self._drop()
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        if ready.get("ok") != "ready":
            self._drop()
            self.disabled = f"it said {ready!r}"
            raise Unavailable(self.disabled)

    def _exchange(self, question: list[str]) -> dict[str, Any]:
        assert self._channel is not None
        try:
            self._channel.sendall(json.dumps(question).encode() + b"\n")
        except Exception as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        return self._read()

    def _read(self) -> dict[str, Any]:
        try:
            line = self._reader.readline()
        except Exception as exc:  # a timeout, a lost connection
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        if not line:
            raise Unavailable("the probe process ended (no python3 3.8+ there?)")
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise Unavailable(f"unreadable answer: {exc}") from exc
        if not isinstance(reply, dict):
            raise Unavailable(f"unreadable answer: {line[:80]!r}")
        return reply

    def _drop(self) -> None:
        channel, self._channel, self._reader = self._channel, None, None
        if channel is not None:
            with contextlib.suppress(Exception):
                channel.close()

    def close(self) -> None:
        with self._lock:
            self._drop()
