"""What every part of the bot shares: its configuration, Slack, the stores, the
lessons as configured, and one connection per lab.

Nothing here decides anything about a lesson; ``flow.py`` does.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException

from slack_sdk.errors import SlackApiError

from hostnet.engine.errors import HostnetError, LessonError, TargetError
from hostnet.engine.labs.spec import LabSpec
from hostnet.engine.lessonfiles import check_numbers, lesson_files
from hostnet.engine.loader import LessonDocument, no_lesson, read_document
from hostnet.engine.model import Lesson
from hostnet.engine.outside import host_address
from hostnet.engine.progress import Progress
from hostnet.engine.targets import Target
from hostnet.engine.variables import bind_builtins, uses_builtins

from .blocks import Message
from .config import BotConfig, ConfigError
from .slack import Slack, api_error
from .state import Session
from .store import BotStore

log = logging.getLogger(__name__)
OpenTarget = Callable[[LabSpec], Target]
"""Opens a configured lab: :meth:`LabSpec.open`, as the CLI does (tests record what runs)."""


class Catalog:
    """The lessons with the configured variables (a lab's own override the global ones).

    Each lesson file is read and parsed once, at startup (:meth:`validate`); a
    lesson with given values is built from that parse when first asked for and
    kept (labs with the same values share it), and so is a lab's binding of its
    built-ins. Lesson files changed or added later are seen after a restart, once
    validated against the configuration.
    """

    def __init__(self, config: BotConfig) -> None:
        self._config = config
        self._documents: dict[str, LessonDocument] = {}  # lesson id → its parsed file
        self._refs: dict[str, str] = {}  # number and id → id
        # (lesson id, the values of its variables) → the lesson; () for none: the bare one
        self._built: dict[tuple[str, tuple[tuple[str, str], ...]], Lesson] = {}
        self._bound: dict[tuple[str, str], Lesson] = {}  # (id, lab) → built-ins bound there
        self._addresses: dict[str, str] = {}  # lab → its host_address
        self._lock = threading.Lock()

    def validate(self) -> None:
        """At startup: every lesson file is read, and every lesson loads with the
        configured variables of every lab."""
        documents = [read_document(path) for path in lesson_files()]
        bare = [document.build({}) for document in documents]
        check_numbers((lesson.number, lesson.id) for lesson in bare)
        declared = {name for lesson in bare for name in lesson.variables}
        for lab in (None, *self._config.labs):
            values = self._config.variables if lab is None else lab.variables
            where = "variables" if lab is None else f"labs[{lab.name}].variables"
            for name in values:
                if name not in declared:
                    raise ConfigError(
                        f"{where}.{name}: no lesson has this variable",
                        hint=f"the lessons' variables: {', '.join(sorted(declared)) or 'none'}",
                    )
        with self._lock:
            for document, lesson in sorted(
                zip(documents, bare, strict=True), key=lambda d: d[1].number
            ):
                self._documents[lesson.id] = document
                self._built[(lesson.id, ())] = lesson
                self._refs[str(lesson.number)] = self._refs[lesson.id] = lesson.id
        for lesson in bare:
            for lab in (None, *self._config.labs):
                self.lesson(lesson.id, None if lab is None else lab.name)

    def all(self) -> list[Lesson]:
        """Every lesson by number, with the global variables."""
        return [self.lesson(lesson_id, None) for lesson_id in self._documents]

    def find(self, ref: str) -> Lesson:
        """The lesson numbered or named ``ref``, with the global variables."""
        lesson_id = self._refs.get(ref)
        if lesson_id is None:
            raise no_lesson(ref, self.all(), "`/hostnet lessons` lists them")
        return self.lesson(lesson_id, None)

    def lesson(self, lesson_id: str, lab: str | None) -> Lesson:
        with self._lock:
            bare = self._built.get((lesson_id, ()))
        if bare is None:  # a session of a lesson file since removed
            raise LessonError(f"no lesson {lesson_id!r}")
        values = dict(self._config.variables)
        if lab is not None:
            with contextlib.suppress(KeyError):  # a lab no longer configured
                values.update(self._config.lab(lab).variables)
        key = (lesson_id, tuple(sorted((k, v) for k, v in values.items() if k in bare.variables)))
        with self._lock:
            built = self._built.get(key)
        if built is not None:
            return built
        lesson = self._documents[lesson_id].build(dict(key[1]))
        with self._lock:
            return self._built.setdefault(key, lesson)

    def for_lab(self, lesson_id: str, lab: str, target: Callable[[], Target]) -> Lesson:
        """The lesson as ``lab`` runs it: its values, and its built-in variables
        (``@{host_address}``) bound there."""
        with self._lock:
            bound = self._bound.get((lesson_id, lab))
        if bound is not None:
            return bound
        lesson = self.lesson(lesson_id, lab)
        if uses_builtins(lesson):
            lesson = bind_builtins(lesson, {"host_address": self._address(lab, target)})
        with self._lock:
            return self._bound.setdefault((lesson_id, lab), lesson)

    def _address(self, lab: str, target: Callable[[], Target]) -> str:
        """The lab's ``host_address``, read there once."""
        with self._lock:
            address = self._addresses.get(lab)
        if address is None:
            address = host_address(target())
            with self._lock:
                self._addresses[lab] = address
        return address


class Connections:
    """One connection per lab, opened on first use and reused for every step."""

    def __init__(self, config: BotConfig, open_target: OpenTarget) -> None:
        self._config = config
        self._open = open_target
        self._targets: dict[str, Target] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, lab: str) -> Target:
        with self._lock:
            if lab in self._targets:
                return self._targets[lab]
            lab_lock = self._locks.setdefault(lab, threading.Lock())
        with lab_lock:  # one handshake per lab, however many ask at once
            with self._lock:
                if lab in self._targets:
                    return self._targets[lab]
            try:
                spec = self._config.lab(lab)
            except KeyError:
                raise TargetError(f"lab {lab} is no longer in the bot's configuration") from None
            target = self._open(spec)
            with self._lock:
                self._targets[lab] = target
            return target

    def drop(self, lab: str) -> None:
        """Forget the lab's connection (it failed); the next use reconnects."""
        with self._lock:
            target = self._targets.pop(lab, None)
        if target is not None:
            _close(target)

    def close(self) -> None:
        with self._lock:
            targets, self._targets = self._targets, {}
        for target in targets.values():
            _close(target)


def _close(target: Target) -> None:
    try:
        target.close()
    except Exception:
        log.exception("closing %s", target.name)


@dataclass
class BotCore:
    config: BotConfig
    slack: Slack
    store: BotStore
    progress: Progress
    catalog: Catalog
    connections: Connections

    def session(self, session_id: int) -> Session:
        s = self.store.get(session_id)
        if s is None:
            raise HostnetError(f"session {session_id} vanished from the database")
        return s

    def lesson_of(self, s: Session, *, lab: bool = True) -> Lesson:
        """The session's lesson as configured for its lab; on a lab, built-in
        variables (``@{host_address}``) are bound there, so messages show the
        commands the learner will really run."""
        if not lab or s.lab is None:
            return self.catalog.lesson(s.lesson, None)
        lab_name = s.lab
        return self.catalog.for_lab(s.lesson, lab_name, lambda: self.connections.get(lab_name))

    # -- posting in a lesson's thread ----------------------------------------------------

    def post(self, s: Session, message: Message) -> str:
        text, blocks = message
        return self.slack.post(s.channel, text, blocks, thread_ts=s.thread_ts)

    def post_quietly(self, s: Session, message: Message) -> None:
        try:
            self.post(s, message)
        except SlackApiError as exc:
            log.warning("cannot post in %s: %s", s.channel, api_error(exc))

    def update(self, s: Session, ts: str, message: Message) -> None:
        """Change a message's status line: cosmetic, so a failure is logged, never raised."""
        try:
            self.slack.update(s.channel, ts, message[0], message[1])
        except SlackApiError as exc:
            log.warning("cannot update message %s: %s", ts, api_error(exc))
        except (OSError, HTTPException) as exc:  # Slack unreachable, a broken connection, a timeout
            log.warning("cannot update message %s: %s: %s", ts, type(exc).__name__, exc)

    def tell(self, s: Session, text: str) -> None:
        """A note only the learner sees, in their lesson's thread."""
        self.slack.ephemeral(s.channel, s.learner, text, thread_ts=s.thread_ts)

    def thread_link(self, s: Session) -> str:
        if not s.thread_ts:
            return "its thread"
        return (
            f"<https://slack.com/archives/{s.channel}/p{s.thread_ts.replace('.', '')}|its thread>"
        )
