"""Ctrl-C held back, then delivered to whoever handled it before."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import pytest

from hostnet.engine.signals import sigint_deferred


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_a_ctrl_c_inside_waits_for_the_end_then_raises_keyboardinterrupt() -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finished = False
    with pytest.raises(KeyboardInterrupt), sigint_deferred():
        _ctrl_c()
        finished = True  # not cut short
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_nothing_happens_without_a_ctrl_c() -> None:
    with sigint_deferred():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_callers_own_handler_gets_it_once_and_nesting_holds() -> None:
    """The runner's cleanup holds Ctrl-C; a command started inside holds it too."""
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        with sigint_deferred():
            with sigint_deferred():
                _ctrl_c()
                _ctrl_c()
            assert held == []  # passed on to the outer block, which holds it too …
        assert held == [signal.SIGINT]  # … then to the caller's handler, once
        assert signal.getsignal(signal.SIGINT) is hold
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_ignored_ctrl_c_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with sigint_deferred():
            _ctrl_c()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_blocks_own_exception_wins() -> None:
    with pytest.raises(ValueError), sigint_deferred():
        _ctrl_c()
        raise ValueError("the block failed")


def test_other_threads_run_the_block_unprotected() -> None:
    """Only the main thread may set handlers (and only it gets Ctrl-C)."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            with sigint_deferred():
                assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert errors == []
