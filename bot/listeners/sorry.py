"""What a learner reads when handling their request failed, and what the log keeps."""

from __future__ import annotations

from logging import Logger

from hostnet.engine.errors import HostnetError, first_line

from ..db import StoreProblem


def sorry(logger: Logger, what: str, exc: Exception) -> str:
    """Log ``exc`` (a traceback only for a bug) and return the learner's one line.

    The bot's database being down is the operator's problem: the learner is told
    to try again, and the database's name stays in the log.
    """
    if isinstance(exc, StoreProblem):
        logger.warning("%s: %s", what, exc)
        return (
            "Sorry, the bot cannot use its database right now. Try again in a minute; "
            "if it goes on, tell whoever runs the bot."
        )
    if isinstance(exc, HostnetError):
        logger.warning("%s: %s", what, first_line(exc))
    else:
        logger.exception(what)
    return f"Sorry, that did not work: {first_line(exc)}"
