"""Ctrl-C held back while something must not be cut in half, then delivered.

Used where a KeyboardInterrupt raised in the middle would do harm: while a
command is being started (raised inside ``subprocess.Popen``, after the fork,
it would leave the command running with nobody to kill it) and while a
lesson's cleanup runs (it must finish, or the learner's machine keeps what the
lesson made).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Inside the block a Ctrl-C is noted, not acted on; when the block ends, it is
    delivered to the handler that was in place before, as if it came only then.

    With Python's default handler that means the block ends, then KeyboardInterrupt
    is raised. A handler of the caller's own gets the signal once (a caller that
    holds Ctrl-C back itself keeps holding it); an ignored SIGINT stays ignored.
    If the block raises, its exception wins and the noted Ctrl-C is dropped.

    Only the main thread can set signal handlers (and only there does Ctrl-C
    arrive): elsewhere the block runs unprotected, and has nothing to fear.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        # previous None: a handler set outside Python, which we could not put back.
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        signal.raise_signal(signal.SIGINT)  # the default handler raises KeyboardInterrupt here
