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

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from hostnet.engine.errors import EnvironmentProblem, ExitCode, HostnetError, first_line

from .config import CONFIG_ENV, BotConfig, Secrets, config_path, load_config, load_secrets
from .slack import api_error
from .wiring import Bot, build

log = logging.getLogger("hostnet.bot")


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
    bot.parts.recovery.recover()
    bot.parts.recovery.start_janitor()
    if config.mode == "http":
        from .http import make_http_server

        try:
            server = make_http_server(
                bot.app,
                config.http.host,
                port or config.http.port,
                config.http.path,
                threads=config.http.threads,
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
