"""``hostnet-bot``: build the bolt App, register the listeners, start.

Socket Mode by default (SLACK_BOT_TOKEN, SLACK_APP_TOKEN: no public endpoint);
``--http`` (or ``mode: http``) serves Slack's requests on a port instead
(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET). Configuration problems give one
line naming the setting and exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from hostnet.engine.errors import EnvironmentProblem, ExitCode, HostnetError, first_line

from .config import CONFIG_ENV, BotConfig, Secrets, config_path, load_config, load_secrets
from .labs import OpenTarget, open_target
from .listeners import register_listeners
from .service import Service
from .slack import Slack, api_error, web_client
from .workers import Workers

log = logging.getLogger("hostnet.bot")
LISTENER_THREADS = 32  # acks never wait: lab work runs on Service.workers


@dataclass
class Bot:
    app: App
    service: Service
    listeners: Workers
    workers: Workers

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Until no listener and no job is left (tests and benchmarks)."""
        for _ in range(1000):
            if self.listeners.pending == 0 and self.workers.pending == 0:
                return True
            if not (self.listeners.wait_idle(timeout) and self.workers.wait_idle(timeout)):
                return False
        return False

    def close(self) -> None:
        self.service.close()
        self.listeners.shutdown(wait=True)
        self.workers.shutdown(wait=True)


def build(
    config: BotConfig,
    secrets: Secrets,
    *,
    client: WebClient | None = None,
    open_target: OpenTarget = open_target,
) -> Bot:
    """The App with its listeners and the service behind them (nothing started yet)."""
    client = client or web_client(secrets.bot_token)
    listeners = Workers(LISTENER_THREADS, "hostnet-listener")
    workers = Workers(config.workers, "hostnet-lab")
    service = Service(
        config,
        Slack(client, min_interval=config.message_interval_seconds),
        workers,
        open_target=open_target,
    )
    service.validate()
    app = App(
        client=client,
        signing_secret=secrets.signing_secret or "",
        listener_executor=listeners,
        logger=logging.getLogger("hostnet.bot.bolt"),
    )
    register_listeners(app, service)
    return Bot(app, service, listeners, workers)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hostnet-bot",
        description="The docker-hostnet Slack bot: lessons in threads, run on lab machines.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"the YAML configuration (default: ${CONFIG_ENV}, else ./hostnet-bot.yaml)",
    )
    parser.add_argument("--http", action="store_true", help="HTTP mode instead of Socket Mode")
    parser.add_argument("--port", type=int, help="HTTP mode: the port (default: http.port, 3000)")
    parser.add_argument("--debug", action="store_true", help="verbose logs, tracebacks")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parse_args(argv)
    env = os.environ if env is None else env
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(config_path(args.config, env))
        if args.http or args.port is not None:
            config = config.model_copy(update={"mode": "http"})
        secrets = load_secrets(config.mode, env)
        bot = build(config, secrets)
    except HostnetError as exc:
        print(f"hostnet-bot: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except (SlackApiError, BoltError) as exc:
        why = api_error(exc) if isinstance(exc, SlackApiError) else first_line(exc)
        print(
            f"hostnet-bot: Slack refused SLACK_BOT_TOKEN: {why}\n"
            "hint: copy the Bot User OAuth Token (xoxb-…) again from the app's "
            "OAuth & Permissions page, and (re)install the app",
            file=sys.stderr,
        )
        return int(ExitCode.ENVIRONMENT)
    except Exception as exc:  # the network, mostly: Slack unreachable
        if args.debug:
            raise
        print(f"hostnet-bot: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return int(ExitCode.ENVIRONMENT)
    try:
        return run(bot, config, secrets, port=args.port)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except EnvironmentProblem as exc:
        print(f"hostnet-bot: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    finally:
        bot.close()


def run(bot: Bot, config: BotConfig, secrets: Secrets, *, port: int | None = None) -> int:
    bot.service.recover()
    bot.service.start_janitor()
    if config.mode == "http":
        from .http import make_http_server

        try:
            server = make_http_server(
                bot.app, config.http.host, port or config.http.port, config.http.path
            )
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot listen on {config.http.host}:{port or config.http.port}: {exc.strerror}",
                hint="choose another port with --port or http.port",
            ) from None
        log.info(
            "HTTP mode: Slack's requests on http://%s:%s%s",
            config.http.host,
            server.server_port,
            config.http.path,
        )
        with server:
            server.serve_forever()
        return 0
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert secrets.app_token is not None
    log.info("Socket Mode: connecting to Slack")
    SocketModeHandler(bot.app, secrets.app_token).start()  # type: ignore[no-untyped-call]
    return 0
