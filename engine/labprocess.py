"""One long-lived process per lab: it runs a lesson's commands, one after another,
and answers its facts.

Each command over SSH used to be a session of its own: a channel, sshd's fork
and the user's login shell, then coreutils ``timeout`` to kill the command's
process group at its deadline, then bash. And each fact (listeners,
interfaces, namespaces, …, from :mod:`hostprobe` run there) was a python3 of
its own. Here one python3 on the lab, started once over the lab's SSH
connection, does both:

* it starts each command as bash in a session of its own and does what
  ``timeout`` did: at the deadline it sends SIGTERM to the command's process
  group, and SIGKILL 2 s later if anything is left (exit 124, or 137 when
  SIGKILL was needed);
* when its channel closes (the step was interrupted, the link dropped, the
  client gave up at its backstop) it kills the running command's group and ends,
  so a command never outlives the step that started it;
* between commands it answers facts: hostprobe (and sockdiag, for it) arrive
  with the first question and are loaded once; ``now`` is the lab's clock.

Output is streamed back as it comes, in frames: one tag byte (``o`` stdout,
``e`` stderr, ``x`` the end, with ``{"code", "timed_out"}``; ``a`` an answer,
``{"ok": …}`` or ``{"error": "Type: message"}``), the length in decimal and a
newline, then the bytes. A request is one JSON line: ``{"run": script,
"timeout": seconds}`` or ``{"ask": [kind, args…]}``.

One request at a time: a fact waits for another thread's fact (milliseconds),
never for a command. The target keeps the ways that need no process of ours as
its fallback: an sshd session per command, ``python3 -`` per fact. A lab
without a usable python3 (3.8 or newer) gets exactly what it always got.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import hostprobe, sockdiag
from .channels import Channel
from .streams import Output

# Module name → source, sent with the first question: sockdiag (listening sockets over
# netlink), loaded first since hostprobe looks for it, then hostprobe.
SOURCES = {m.__name__.rpartition(".")[2]: Path(str(m.__file__)).read_text(encoding="utf-8")
           for m in (sockdiag, hostprobe)}  # fmt: skip

_SERVE = r"""
import json, os, select, signal, subprocess, sys, time, types
GRACE = 2.0
wake_r, wake_w = os.pipe()
for fd in (wake_r, wake_w):
    os.set_blocking(fd, False)
signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
signal.signal(signal.SIGCHLD, lambda *_: None)
out = sys.stdout.buffer
pending, running, probe = b"", None, None

def send(tag, data=b""):
    try:
        out.write(tag + b"%d\n" % len(data) + data)
        out.flush()
    except OSError:  # the client is gone
        hang_up()

def hang_up():
    # Nobody waits for the running command any more: it goes, and so do we.
    if running is not None:
        kill(running, signal.SIGKILL)
    os._exit(0)

def request():
    global pending
    while b"\n" not in pending:
        data = os.read(0, 65536)
        if not data:
            os._exit(0)  # (everything was sent; an interpreter's teardown is CPU for nothing)
        pending += data
    line, pending = pending.split(b"\n", 1)
    return json.loads(line)

def answer(ask):
    global probe
    try:
        for name, source in ask.get("source", {}).items():
            probe = sys.modules[name] = types.ModuleType(name)
            exec(compile(source, name + ".py", "exec"), probe.__dict__)
        kind, *args = ask["ask"]
        return {"ok": time.time() if kind == "now" else probe.collect(kind, *args)}
    except Exception as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc)}

def kill(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except OSError:
        pass

def run(script, timeout):
    global pending, running
    try:
        proc = subprocess.Popen(["bash", "--norc", "-c", script], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        send(b"e", ("cannot start bash: %s\n" % exc).encode())
        return 127, False
    running = proc
    pipes = {proc.stdout.fileno(): (b"o", proc.stdout), proc.stderr.fileno(): (b"e", proc.stderr)}
    for fd in pipes:
        os.set_blocking(fd, False)
    signals, at = [signal.SIGTERM, signal.SIGKILL], time.monotonic() + timeout
    while proc.poll() is None:
        now = time.monotonic()
        if now >= at and signals:
            kill(proc, signals.pop(0))
            at = now + GRACE
            continue
        ready = select.select([*pipes, 0, wake_r], [], [], max(0.0, at - now) if signals else None)[0]
        for fd in ready:
            if fd == wake_r:
                os.read(wake_r, 512)
            elif fd == 0:
                data = os.read(0, 65536)
                if not data:
                    hang_up()
                pending += data
            else:
                forward(fd, pipes)
    for fd in list(pipes):  # what it wrote before it ended, not what it left running writes
        for _ in range(16):
            if not forward(fd, pipes):
                break
    for _, pipe in pipes.values():
        pipe.close()
    code, running = proc.returncode, None
    if len(signals) < 2:  # the deadline passed: as coreutils timeout says it
        return (124 if signals else 137), True
    return (128 - code if code < 0 else code), False

def forward(fd, pipes):
    # One read: False when nothing (more) is there now.
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return False
    if not data:
        pipes.pop(fd)[1].close()
        return False
    send(pipes[fd][0], data)
    return True

send(b"r")
while True:
    ask = request()
    if "ask" in ask:
        send(b"a", json.dumps(answer(ask)).encode())
        continue
    code, timed_out = run(ask["run"], float(ask["timeout"]))
    send(b"x", json.dumps({"code": code, "timed_out": timed_out}).encode())
"""
COMMAND = f"exec python3 -S -c {shlex.quote(_SERVE)}"  # -S: the standard library only, no site
_TAGS = {b"o": "stdout", b"e": "stderr"}


class Unavailable(Exception):
    """The process is not there for this request (it could not start, it broke before
    anything was sent, or another thread's command holds it): take the other way."""


class Lost(Exception):
    """The command was sent, and then the channel or the process went away."""


class LabProcess:
    """The client side: :meth:`run` a script there, its output into an :class:`Output`;
    :meth:`ask` a fact, as hostprobe answers it."""

    def __init__(
        self,
        open_channel: Callable[[str], Channel],
        *,
        start_timeout: float = 30.0,
        ask_timeout: float = 30.0,
    ) -> None:
        self._open_channel = open_channel
        self._start_timeout = start_timeout
        self._ask_timeout = ask_timeout
        self._channel: Channel | None = None
        self._pending = b""
        self._loaded = False  # whether this process has hostprobe
        self._state = threading.Condition()
        self._busy: str | None = None  # "fact" or "command", while one is under way
        self.disabled: str | None = None  # why the lab cannot run one (it never started)

    # -- commands -----------------------------------------------------------------------

    def ready(self) -> bool:
        """Whether commands can go to the process (starting it the first time). Never
        waits for another thread's command: that one's caller takes the other way."""
        return self._why_not() is None

    def run(
        self, script: str, timeout: float, output: Output, *, backstop: float
    ) -> tuple[int, bool] | None:
        """Run ``script`` (bash) for at most ``timeout`` s: its exit code and whether
        it timed out there, or ``None`` when the lab had not answered ``backstop`` s
        past the timeout (the command is then killed there).

        Raises :class:`Unavailable` before anything was sent, :class:`Lost` after.
        """
        with self._take("command"):
            if self._channel is None:
                self._start()
            request = json.dumps({"run": script, "timeout": max(timeout, 0.1)}).encode()
            try:
                try:
                    self._send(request + b"\n")
                except Lost as exc:  # the channel broke before: the other way says how
                    raise Unavailable(str(exc)) from exc
                return self._collect(output, output.started + timeout + backstop)
            except BaseException:  # lost, Ctrl-C, an error in on_output: the lab kills it
                self._drop()
                raise

    def _collect(self, output: Output, deadline: float) -> tuple[int, bool] | None:
        for tag, data in self._frames(deadline):
            if tag == b"x":
                end = json.loads(data)
                return int(end["code"]), bool(end["timed_out"])
            if tag not in _TAGS:
                raise Lost(f"the lab's process said {tag!r} during a command")
            output.add(_TAGS[tag], data)  # type: ignore[arg-type]
        self._drop()  # the backstop passed: closing the channel kills the command
        return None

    # -- facts --------------------------------------------------------------------------

    def ask(self, kind: str, *args: str) -> Any:
        """The answer; raises :class:`Unavailable`, or ``ValueError`` with the
        probe's own error (a question hostprobe could not answer)."""
        with self._take("fact"):
            if self._channel is None:
                self._start()
            question: dict[str, Any] = {"ask": [kind, *args]}
            if not self._loaded:
                question["source"] = SOURCES
            try:
                self._send(json.dumps(question).encode() + b"\n")
                frame = next(self._frames(time.monotonic() + self._ask_timeout), None)
            except Lost as exc:
                self._drop()
                raise Unavailable(str(exc)) from exc
            except BaseException:  # Ctrl-C: its answer must not be the next question's
                self._drop()
                raise
            if frame is None or frame[0] != b"a":
                self._drop()
                raise Unavailable(f"no answer to {kind} (got {frame!r:.80})")
            reply = json.loads(frame[1])
            self._loaded = self._loaded or "error" not in reply  # (else sent again)
        if "error" in reply:
            raise ValueError(str(reply["error"]))
        return reply.get("ok")

    # -- doctor --lab -------------------------------------------------------------------

    def paths(self) -> dict[str, str]:
        """How facts are read and commands run on the lab (``doctor --lab`` shows it)."""
        # (While a command runs, the process is there: no need to ask.)
        if self._channel is None and (why := self._why_not()) is not None:
            return {
                "facts": f"one python3 per fact (no lab process: {why})",
                "commands": f"one SSH session per command (no lab process: {why})",
            }
        return {
            "facts": "one python3 process on the lab answers every fact",
            "commands": "one python3 process on the lab runs every command",
        }

    def close(self) -> None:
        """End the process, once the request under way (if any) has ended."""
        with self._state:
            while self._busy is not None:
                self._state.wait()
            self._drop()

    # -- plumbing -----------------------------------------------------------------------

    def _why_not(self) -> str | None:
        """None when the process is there for a request (starting it if need be), else why not."""
        try:
            with self._take("command"):
                if self._channel is None:
                    self._start()
        except Unavailable as exc:
            return str(exc)
        return None

    @contextlib.contextmanager
    def _take(self, what: str) -> Iterator[None]:
        """The process for one request: after another thread's fact (milliseconds),
        never after its command (:class:`Unavailable`, "busy")."""
        with self._state:
            while self._busy == "fact":
                self._state.wait()
            if self.disabled is not None:
                raise Unavailable(self.disabled)
            if self._busy is not None:
                raise Unavailable("busy")
            self._busy = what
        try:
            yield
        finally:
            with self._state:
                self._busy = None
                self._state.notify_all()

    def _start(self) -> None:
        try:
            self._channel = self._open_channel(COMMAND)
            tag, _ = next(self._frames(time.monotonic() + self._start_timeout))
        except Lost as exc:
            self._drop()
            self.disabled = f"it could not start ({exc}; no python3 3.8+ there?)"
            raise Unavailable(self.disabled) from exc
        except Exception as exc:  # the channel could not open: the link, not python3
            self._drop()
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        if tag != b"r":
            self._drop()
            self.disabled = f"it said {tag!r}"
            raise Unavailable(self.disabled)

    def _frames(self, deadline: float) -> Iterator[tuple[bytes, bytes]]:
        """Frames as they arrive, until the deadline (then the iteration just ends)."""
        while True:
            head, sep, rest = self._pending.partition(b"\n")
            if sep and len(rest) >= int(head[1:]):
                size = int(head[1:])
                self._pending = rest[size:]
                yield head[:1], rest[:size]
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._pending += self._recv(remaining)

    def _recv(self, timeout: float) -> bytes:
        assert self._channel is not None
        try:
            self._channel.settimeout(timeout)
            data = self._channel.recv(65536)
        except TimeoutError:
            return b""
        except Exception as exc:
            raise Lost(f"{type(exc).__name__}: {exc}") from exc
        if not data:
            raise Lost("the lab's process ended")
        return data

    def _send(self, data: bytes) -> None:
        assert self._channel is not None
        try:
            self._channel.sendall(data)
        except Exception as exc:
            raise Lost(f"{type(exc).__name__}: {exc}") from exc

    def _drop(self) -> None:
        channel, self._channel, self._pending, self._loaded = self._channel, None, b"", False
        if channel is not None:
            with contextlib.suppress(Exception):
                channel.close()
