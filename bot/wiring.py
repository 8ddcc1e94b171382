"""The bot's parts, built and wired once (``hostnet-bot`` and the tests use :func:`build`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient

from hostnet.engine.labs.spec import LabSpec
from hostnet.engine.postgres import Postgres, is_postgres_url
from hostnet.engine.progress import Progress, ProgressStore
from hostnet.engine.progress_pg import PostgresProgress

from .access import Access
from .clicks import Clicks
from .config import BotConfig, Secrets
from .core import BotCore, Catalog, Connections, OpenTarget
from .db import StoreProblem
from .db_pg import PostgresBackend
from .failures import SessionFailures
from .flow import LessonFlow
from .invariants import Buttons, violations
from .jobs import Jobs
from .listeners import register_listeners
from .parts import Parts
from .pool import LabPool
from .recovery import Recovery
from .slack import Slack, web_client
from .store import BotStore
from .verbs import Verbs
from .watch import Watch
from .workers import Workers

LISTENER_THREADS = 32  # acks never wait: lab work runs on the workers
URGENT_THREADS = 2  # telling learners that a step outlived its time (watch.py)


@dataclass
class Bot:
    app: App
    parts: Parts
    listeners: Workers
    workers: Workers
    jobs: Jobs
    urgent: Workers

    @property
    def store(self) -> BotStore:
        return self.parts.core.store

    def violations(self, *, buttons: Buttons | None = None) -> list[str]:
        """The state's broken invariants (``invariants.py``); [] when all hold."""
        return violations(self.store, self.jobs.busy(), buttons=buttons)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Until no listener and no job is left (tests and benchmarks)."""
        pools = (self.listeners, self.workers, self.urgent)
        for _ in range(1000):
            if all(pool.pending == 0 for pool in pools):
                return True
            if not all(pool.wait_idle(timeout) for pool in pools):
                return False
        return False

    def close(self) -> None:
        self.parts.recovery.stop()
        self.parts.core.connections.close()
        self.listeners.shutdown(wait=True)
        self.workers.shutdown(wait=True)
        self.urgent.shutdown(wait=True)
        try:
            self.store.retire()  # the other replicas need not wait for this one
        except StoreProblem as exc:
            logging.getLogger(__name__).warning("%s", exc.message)
        self.parts.core.progress.close()
        self.store.close()


def open_stores(database: Path | str) -> tuple[BotStore, Progress]:
    """The bot's store and the progress store, in one database: a SQLite file, or
    PostgreSQL (one pool for both)."""
    if not is_postgres_url(database):
        return BotStore(Path(database)), ProgressStore(Path(database))
    pool = Postgres(str(database))
    try:
        return BotStore(PostgresBackend(pool, owned=True)), PostgresProgress(pool)
    except BaseException:
        pool.close()
        raise


def build(
    config: BotConfig,
    secrets: Secrets,
    *,
    client: WebClient | None = None,
    open_target: OpenTarget = LabSpec.open,
) -> Bot:
    """The App with its listeners and the parts behind them (nothing started yet)."""
    client = client or web_client(secrets.bot_token)
    store, progress = open_stores(config.database)
    try:
        return _assemble(config, secrets, client, open_target, store, progress)
    except BaseException:
        store.close()  # (a PostgreSQL pool: its threads)
        raise


def _assemble(
    config: BotConfig,
    secrets: Secrets,
    client: WebClient,
    open_target: OpenTarget,
    store: BotStore,
    progress: Progress,
) -> Bot:
    core = BotCore(
        config=config,
        slack=Slack(client, min_interval=config.message_interval_seconds),
        store=store,
        progress=progress,
        catalog=Catalog(config),
        connections=Connections(config, open_target),
    )
    core.catalog.validate()
    workers = Workers(config.workers, "hostnet-lab")
    urgent = Workers(URGENT_THREADS, "hostnet-urgent")
    jobs = Jobs(workers, urgent)
    pool = LabPool(core)
    flow = LessonFlow(core, pool, jobs, Watch(jobs))
    failures = SessionFailures(core, flow, pool)
    jobs.route_failures_to(failures)
    access = Access(config)
    parts = Parts(
        core=core,
        verbs=Verbs(core, access, flow, jobs),
        clicks=Clicks(core, access, flow, jobs),
        recovery=Recovery(core, pool, flow, failures, jobs),
    )
    listeners = Workers(LISTENER_THREADS, "hostnet-listener")
    app = App(
        client=client,
        signing_secret=secrets.signing_secret or "",
        listener_executor=listeners,
        logger=logging.getLogger("hostnet.bot.bolt"),
    )
    register_listeners(app, parts)
    return Bot(app, parts, listeners, workers, jobs, urgent)
