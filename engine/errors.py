"""One exception family for everything a user can get wrong or lack.

Front ends catch :class:`HostnetError` once, print ``str(error)`` as one clear
message and exit with ``error.exit_code``; anything else is a bug and may show
a traceback (with ``--debug``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes shared by every front end (documented in ``--help``)."""

    OK = 0
    CHECK_FAILED = 1  # the lesson ran and a step's verification failed
    USAGE = 2  # bad command line (Typer/Click's own code)
    LESSON_ERROR = 3  # a lesson file is invalid, or no such lesson
    ENVIRONMENT = 4  # Docker unreachable, prerequisite unmet, target unusable
    INTERNAL = 70  # a bug in docker-hostnet (EX_SOFTWARE in sysexits.h)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class HostnetError(Exception):
    """Base of every error that is the user's or the environment's, not a bug.

    ``message`` (what went wrong) and ``hint`` (what to do) are fields: front
    ends show them as they see fit and never parse them out of ``str(error)``,
    which joins them for logs and the terminal.
    """

    exit_code: ExitCode = ExitCode.ENVIRONMENT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nhint: {self.hint}" if self.hint else self.message


class UsageError(HostnetError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class LessonError(HostnetError):
    """A lesson file cannot be loaded, or a lesson does not exist."""

    exit_code = ExitCode.LESSON_ERROR


class EnvironmentProblem(HostnetError):
    """The machine the lesson runs on is not ready (engine down, port busy, …)."""

    exit_code = ExitCode.ENVIRONMENT


class TargetError(EnvironmentProblem):
    """Commands cannot be run on the target at all (not a failed check)."""


class ProgressError(EnvironmentProblem):
    """The progress database cannot be used (locked, read-only, disk full)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (docker's are often long)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
