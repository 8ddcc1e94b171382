"""The bot as ``hostnet-bot`` builds it, with its WebClient pointed at the
stand-in for Slack, driven by signed requests into the real bolt App; and the
labs it opens, real targets that record what ran on them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from hostnet.engine.commands import CommandResult
from hostnet.engine.errors import TargetError
from hostnet.engine.labs.spec import LabSpec
from hostnet.engine.targets import Target

from ..config import Secrets, load_config
from ..slack import web_client
from ..wiring import Bot, build
from . import evidence
from .fakeslack import Call, FakeSlack, Inbound
from .requests import (
    ALICE,
    BOB,
    BOT_TOKEN,
    BOT_USER,
    CAROL,
    CHANNEL,
    FORM,
    SECRET,
    TEACHER,
    click_body,
    describe_request,
    mention_body,
    signed_headers,
    slash_body,
)


@dataclass
class Ran:
    """One command or probe on a lab: when it began, when it ended and how."""

    lab: str
    command: str
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    outcome: str = ""


class RecordingTarget:
    """A real target that also notes which lab ran which command, and when."""

    def __init__(
        self,
        inner: Target,
        log: list[tuple[str, str]],
        durations: list[tuple[str, float]],
        history: list[Ran],
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.address = inner.address
        self.log = log
        self.durations = durations
        self.history = history

    def run(self, command: str, *, timeout: float, on_output: Any = None) -> CommandResult:
        self.log.append((self.name, command))
        ran = Ran(self.name, command)
        self.history.append(ran)
        try:
            result = self.inner.run(command, timeout=timeout, on_output=on_output)
        except BaseException as exc:
            ran.ended, ran.outcome = time.monotonic(), f"raised {type(exc).__name__}: {exc}"
            raise
        ran.ended = time.monotonic()
        ran.outcome = f"exit {result.exit_code}" + (" (timed out)" if result.timed_out else "")
        self.durations.append((command, result.duration))
        return result

    def docker(self) -> Any:
        return self.inner.docker()

    def __getattr__(self, name: str) -> Any:  # the typed probes: listeners, interfaces, …
        value = getattr(self.inner, name)
        if name.startswith("_") or not callable(value):
            return value

        def probe(*args: Any, **kwargs: Any) -> Any:
            ran = Ran(self.name, f"(probe) {name} {' '.join(map(str, args))}".rstrip())
            self.history.append(ran)
            try:
                found = value(*args, **kwargs)
            except BaseException as exc:
                ran.ended, ran.outcome = time.monotonic(), f"raised {type(exc).__name__}: {exc}"
                raise
            ran.ended, ran.outcome = time.monotonic(), "ok"
            return found

        return probe

    def close(self) -> None:
        self.inner.close()


@dataclass
class Labs:
    """The target factory the bot gets: real targets, recorded; some labs down."""

    runs: list[tuple[str, str]] = field(default_factory=list)
    durations: list[tuple[str, float]] = field(default_factory=list)  # (command, seconds)
    down: set[str] = field(default_factory=set)
    opened: list[str] = field(default_factory=list)
    history: list[Ran] = field(default_factory=list)  # with times (the evidence)

    def __call__(self, lab: LabSpec) -> Target:
        self.opened.append(lab.name)
        if lab.name in self.down:
            raise TargetError(
                f"lab {lab.name} (root@10.0.0.9:22) is unreachable: [Errno 113] No route to host",
                hint="is the lab VM up (`vagrant status`), and is its address right?",
            )
        return RecordingTarget(lab.open(), self.runs, self.durations, self.history)

    def commands(self, lab: str | None = None) -> list[str]:
        return [c for name, c in self.runs if lab is None or name == lab]


class BotHarness:
    def __init__(self, fake: FakeSlack, config_file: Path, labs: Labs) -> None:
        self.fake = fake
        self.config_file = config_file
        self.labs = labs
        self.config = load_config(config_file)
        self.bot: Bot = self._build()

    def _build(self) -> Bot:
        client = web_client(BOT_TOKEN, base_url=self.fake.api_url)
        bot = build(
            self.config,
            Secrets(bot_token=BOT_TOKEN, signing_secret=SECRET),
            client=client,
            open_target=self.labs,
        )
        bot.parts.recovery.recover()
        return bot

    def restart(self) -> None:
        """Stop this bot (as a process exit would) and start a new one on the same database."""
        self.bot.close()
        self.bot = self._build()
        self.settle()

    def close(self) -> None:
        self.bot.close()

    def dispatch(self, body: str, content_type: str, **extra: str) -> BoltResponse:
        headers: dict[str, str | Sequence[str]] = {**signed_headers(body, content_type), **extra}
        inbound = Inbound(*describe_request(body))
        self.fake.inbound.append(inbound)
        response = self.bot.app.dispatch(BoltRequest(body=body, headers=headers))
        inbound.status = response.status
        return response

    def slash(self, user: str, text: str, channel: str = CHANNEL) -> BoltResponse:
        url = f"{self.fake.base}/response/{user}"
        response = self.dispatch(slash_body(user, text, channel, url), FORM)
        self.settle()
        return response

    def click(
        self, user: str, call: Call, action_id: str, channel: str = CHANNEL, settle: bool = True
    ) -> BoltResponse:
        assert call.ts is not None
        value = call.buttons()[action_id]
        url = f"{self.fake.base}/response/{user}"
        response = self.dispatch(click_body(user, action_id, value, call.ts, channel, url), FORM)
        if settle:
            self.settle()
        return response

    def mention(
        self, user: str, text: str, event_id: str, channel: str = CHANNEL, **extra: str
    ) -> BoltResponse:
        body = mention_body(user, f"<@{BOT_USER}> {text}", event_id, channel)
        response = self.dispatch(body, "application/json", **extra)
        self.settle()
        return response

    def settle(self, timeout: float = 120) -> None:
        if self.bot.wait_idle(timeout):
            return
        busy = [x for x in self.bot.store.sessions() if x.is_open or x.running]
        raise AssertionError(
            f"the bot did not finish its work within {timeout:g} s "
            f"({self.bot.listeners.pending} listener(s), {self.bot.workers.pending} job(s) left)\n"
            + "\n".join(self.explain(user) for user in dict.fromkeys(s.learner for s in busy))
        )

    def explain(self, user: str) -> str:
        """The learner's thread, their session row and their lab's last commands."""
        return evidence.explain(self.fake, self.bot.store, self.labs, user)

    # -- a lesson's thread ------------------------------------------------------------

    def thread_of(self, user: str) -> str:
        """The thread of ``user``'s newest lesson."""
        for call in reversed(self.fake.posts(top_level=True)):
            if f"<@{user}> is taking this lesson" in call.text():
                assert call.ts is not None
                return call.ts
        raise AssertionError(f"no lesson thread for {user}: {self.fake.dump()}")

    def step_message(self, user: str) -> Call:
        return self.fake.last_with("hostnet.run", self.thread_of(user))

    def run_step(self, user: str) -> Call:
        """Click Run on the current step; returns the result message posted for it."""
        thread = self.thread_of(user)
        before = len(self.fake.posts(thread_ts=thread))
        self.click(user, self.step_message(user), "hostnet.run")
        results = [
            c
            for c in self.fake.posts(thread_ts=thread)[before:]
            if "passed* on" in c.text() or "failed* on" in c.text()
        ]
        assert len(results) == 1, self.explain(user)
        return results[0]


def write_config(tmp_path: Path, labs: list[dict[str, Any]], **settings: Any) -> Path:
    data: dict[str, Any] = {
        "database": "bot.sqlite",
        "labs": labs,
        "allowed_users": [ALICE, BOB, CAROL, TEACHER],
        "allowed_channels": [CHANNEL],
        "instructors": [TEACHER],
        "message_interval_seconds": 0,
        **settings,
    }
    path = tmp_path / "hostnet-bot.yaml"
    path.write_text(yaml.safe_dump(data))
    return path
