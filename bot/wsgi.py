"""``hostnet.bot.wsgi:app``: the bot as a WSGI application, for gunicorn or any
WSGI server, in place of ``hostnet-bot --http``'s own server::

    gunicorn --workers 2 --threads 32 --bind 0.0.0.0:3000 hostnet.bot.wsgi:app

It is configured as ``hostnet-bot --http`` is: ``HOSTNET_BOT_CONFIG`` (else
``./hostnet-bot.yaml``), ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET``; Slack's
signature is checked before anything else (``http.py``). Each worker process
is one replica of the bot (``replicas.py``): with a SQLite ``database:`` they
must share one host; with PostgreSQL, any number of hosts. The bot is built
when the server first asks for ``app``, in each worker (so not with
``--preload``: threads and connections do not survive a fork).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from hostnet.engine.errors import HostnetError

from .config import config_path, load_config, load_secrets
from .http import WsgiApp, signed_app
from .wiring import build

log = logging.getLogger("hostnet.bot")
APP_LOAD_ERROR = 4  # gunicorn stops (instead of starting the worker again and again)


def create_app(env: Mapping[str, str] | None = None) -> WsgiApp:
    """Build and start the bot (recovery, janitor); the WSGI application serving it."""
    env = os.environ if env is None else env
    config = load_config(config_path(None, env)).model_copy(update={"mode": "http"})
    bot = build(config, load_secrets("http", env))
    atexit.register(bot.close)
    bot.parts.recovery.recover()
    bot.parts.recovery.start_janitor()
    log.info("WSGI mode: Slack's requests on %s", config.http.path)
    return signed_app(bot.app, config.http.path)


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(name)
    try:
        application = create_app()
    except HostnetError as exc:
        print(f"hostnet-bot: {exc}", file=sys.stderr)
        raise SystemExit(APP_LOAD_ERROR) from None
    globals()["app"] = application
    return application
