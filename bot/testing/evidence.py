"""What to print when a bot test or the workshop bench waits in vain.

Three things, always the same, so a failure leaves its evidence behind:

* the learner's thread as the learner saw it: every post, update and
  ephemeral (and slash-command response), with the requests the learner sent
  (clicks, commands), each with its time since the stand-in for Slack started;
* the bot's session row(s) of that learner (status, phase, turn, state, lab,
  message_ts) and the lab's lease;
* the last command(s) the learner's lab ran, with when they ended (or that
  they had not).

It reads only what a black-box test may read: the stand-in's recorded calls,
the store's public reads (``sessions``, ``leases``) and the labs' record.
"""

from __future__ import annotations

import re
import time
from typing import Any

TEXT = 160  # characters of a message's text shown


def _short(text: str, limit: int = TEXT) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _at(t: float, t0: float) -> str:
    return f"+{t - t0:8.3f} s"


def learner_thread(fake: Any, user: str) -> list[str]:
    """Every call a learner saw (their lesson threads, their ephemerals) and every
    request they sent, in order of arrival."""
    t0 = fake.started
    with fake._lock:
        calls = list(fake.calls)
    threads = {
        c.ts
        for c in calls
        if c.method == "chat.postMessage"
        and "thread_ts" not in c.args
        and f"<@{user}> is taking this lesson" in c.text()
    }
    messages = set(threads) | {
        c.ts for c in calls if c.method == "chat.postMessage" and c.args.get("thread_ts") in threads
    }
    rows: list[tuple[float, str]] = []
    for c in calls:
        method = c.method.split(":")[0]
        failed = c.method[len(method) :]  # ":error", ":429", or ""
        if method == "chat.postMessage" and (c.ts in threads or c.args.get("thread_ts") in threads):
            what = "post   " if c.ts not in threads else "THREAD "
        elif method == "chat.postMessage" and failed and c.args.get("thread_ts") in threads:
            what = "post   "
        elif method == "chat.update" and c.args.get("ts") in messages:
            what = "update "
        elif method in ("chat.postEphemeral", "response_url") and c.args.get("user") == user:
            what = "ephem. " if method == "chat.postEphemeral" else "respond"
        else:
            continue
        ts = c.ts or c.args.get("ts") or ""
        buttons = " ".join(f"{k.removeprefix('hostnet.')}={v}" for k, v in c.buttons().items())
        rows.append(
            (
                c.at,
                f"{_at(c.at, t0)} {what}{failed} {ts} {f'[{buttons}] ' if buttons else ''}"
                f"{_short(c.text())}",
            )
        )
    for r in list(getattr(fake, "inbound", [])):
        if r.user == user:
            rows.append((r.at, f"{_at(r.at, t0)} >>> {r.what} (HTTP {r.status})"))
    rows.sort(key=lambda row: row[0])
    if not threads:
        rows.insert(0, (t0, "(no lesson thread was posted for this learner)"))
    return [line for _, line in rows]


def _sessions_of(store: Any, user: str) -> list[Any]:
    return [s for s in store.sessions() if s.learner == user]


def session_rows(store: Any, user: str) -> list[str]:
    """The bot's sessions of ``user`` and the lease of their lab, as the store has them."""
    out = []
    for s in _sessions_of(store, user):
        out.append(
            f"session {s.id}: status={s.status} phase={s.phase} step={s.step_index + 1}"
            f" quiz={s.quiz_index + 1} turn={s.turn} state={s.state} lab={s.lab}"
            f" message_ts={s.message_ts} last_active={time.time() - s.last_active:.1f} s ago"
        )
        out += [
            f"  lease: {le.lab} held for {time.time() - le.leased_at:.1f} s"
            for le in store.leases()
            if le.session_id == s.id
        ]
    return out or [f"(no session of {user} in the store)"]


def lab_runs(labs: Any, lab: str | None, t0: float, last: int = 3) -> list[str]:
    """The last commands and probes ``lab`` ran (hostnet.bot.testing.harness.Labs records them)."""
    if lab is None:
        return ["(no lab)"]
    if labs is None:
        return ["(this test does not record the lab's commands)"]
    ran = [r for r in list(labs.history) if r.lab == lab][-last:]
    out = []
    for r in ran:
        if r.ended is None:
            end = f"STILL RUNNING after {time.monotonic() - r.started:.1f} s"
        else:
            end = f"ended {_at(r.ended, t0)}: {r.outcome}"
        out.append(f"{_at(r.started, t0)} {lab}$ {_short(r.command, 100)}  [{end}]")
    return out or [f"(nothing ran on {lab})"]


def explain(fake: Any, store: Any, labs: Any, user: str) -> str:
    """The three parts, as one block of text for an assertion message or stderr."""
    sessions = _sessions_of(store, user)
    lab = sessions[-1].lab if sessions else None
    parts = [
        f"=== {user}: the thread as the learner saw it (times since the stand-in started)",
        *learner_thread(fake, user),
        f"=== {user}: the bot's session row",
        *session_rows(store, user),
        f"=== {user}: the last commands on {lab}",
        *lab_runs(labs, lab, fake.started),
    ]
    return "\n".join(parts)
