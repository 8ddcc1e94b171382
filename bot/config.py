"""The bot's configuration: one YAML file plus the Slack secrets from the environment.

Tokens are never read from the file (files get committed; environments don't).
Anything missing or malformed gives one :class:`ConfigError` naming the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hostnet.engine.errors import ExitCode, HostnetError
from hostnet.engine.labs.spec import LabSpec
from hostnet.engine.postgres import is_postgres_url

CONFIG_ENV = "HOSTNET_BOT_CONFIG"
DEFAULT_CONFIG = "hostnet-bot.yaml"
EVERYONE = "*"

_USER_ID = r"^[UW][A-Z0-9]{2,}$"
_CHANNEL_ID = r"^[CGD][A-Z0-9]{2,}$"


class ConfigError(HostnetError):
    """The bot's configuration is missing or wrong; nothing was started."""

    exit_code = ExitCode.USAGE


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpConfig(_Model):
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    path: str = Field(default="/slack/events", pattern=r"^/")
    threads: int = Field(default=32, ge=1, le=256, description="Requests served at once")


class BotConfig(_Model):
    """Everything from the YAML file (paths already made absolute)."""

    database: Path | str = Field(
        description="SQLite file: progress, lessons in threads, leases; or a PostgreSQL URL "
        "(postgresql://user@host/db) that several bot processes share"
    )
    labs: list[LabSpec] = Field(min_length=1)
    allowed_users: list[str] = Field(description='Slack user IDs (U…), or ["*"] for everyone')
    allowed_channels: list[str] = Field(description='Channel IDs (C…), or ["*"] for any')
    instructors: list[str] = Field(default_factory=list)
    variables: dict[str, str] = Field(default_factory=dict, description="Lesson variables")
    lease_idle_minutes: float = Field(default=30, gt=0)
    lab_retry_minutes: float = Field(default=5, ge=0)
    stuck_minutes: float = Field(default=10, gt=0)
    stuck_failures: int = Field(default=3, ge=1)
    message_interval_seconds: float = Field(default=1.0, ge=0, le=10)
    workers: int = Field(default=8, ge=1, le=64, description="Threads for work on labs")
    mode: Literal["socket", "http"] = "socket"
    http: HttpConfig = Field(default_factory=HttpConfig)

    @field_validator("database", mode="before")
    @classmethod
    def _database(cls, value: Any) -> Any:
        if isinstance(value, str) and "://" in value and not is_postgres_url(value):
            raise ValueError(
                "a URL must be postgresql://user@host/dbname (PostgreSQL); "
                "anything else is a SQLite file's path"
            )
        return value if is_postgres_url(value) else Path(value) if isinstance(value, str) else value

    @field_validator("allowed_users", "instructors")
    @classmethod
    def _user_ids(cls, values: list[str], info: Any) -> list[str]:
        return _ids(values, _USER_ID, "user", star=info.field_name == "allowed_users")

    @field_validator("allowed_channels")
    @classmethod
    def _channel_ids(cls, values: list[str]) -> list[str]:
        return _ids(values, _CHANNEL_ID, "channel", star=True)

    @model_validator(mode="after")
    def _unique_labs(self) -> BotConfig:
        names = [lab.name for lab in self.labs]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two labs are named {name!r}")
        return self

    def lab(self, name: str) -> LabSpec:
        for lab in self.labs:
            if lab.name == name:
                return lab
        raise KeyError(name)

    def user_allowed(self, user: str) -> bool:
        return EVERYONE in self.allowed_users or user in self.allowed_users

    def channel_allowed(self, channel: str) -> bool:
        return EVERYONE in self.allowed_channels or channel in self.allowed_channels

    def is_instructor(self, user: str) -> bool:
        return user in self.instructors


def _ids(values: list[str], pattern: str, what: str, *, star: bool) -> list[str]:
    for value in values:
        if star and value == EVERYONE:
            continue
        if not re.fullmatch(pattern, value):
            example = "U012AB3CD" if what == "user" else "C012AB3CD"
            raise ValueError(
                f"{value!r} is not a Slack {what} ID (like {example}; "
                f"in Slack: the {what}'s profile or details, 'Copy … ID')"
            )
    return values


@dataclass(frozen=True)
class Secrets:
    """Slack credentials from the environment; never printed."""

    bot_token: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)


def config_path(explicit: str | None, env: Mapping[str, str]) -> Path:
    return Path(explicit or env.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: Path) -> BotConfig:
    """Read and validate the YAML file; relative paths are relative to it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file {path} not found",
            hint=f"create it (see bot/hostnet-bot.example.yaml), or name it with --config "
            f"or {CONFIG_ENV}",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(
            f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected settings (key: value) at the top level")
    data = _absolute_paths(data, path.parent)
    try:
        config = BotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None
    for index, lab in enumerate(config.labs):
        if lab.ssh_config is not None and not lab.ssh_config.is_file():
            raise ConfigError(
                f"{path}: labs[{index}].ssh_config: {lab.ssh_config} not found",
                hint="for Vagrant labs: `vagrant ssh-config > FILE` in the Vagrantfile's folder",
            )
    return config


def _absolute_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    data = dict(data)
    database = data.get("database")
    if isinstance(database, str) and "://" not in database:
        data["database"] = str(base / Path(database).expanduser())
    labs = data.get("labs")
    if isinstance(labs, list):
        fixed = []
        for lab in labs:
            if isinstance(lab, dict) and isinstance(lab.get("ssh_config"), str):
                lab = {**lab, "ssh_config": str(base / Path(lab["ssh_config"]).expanduser())}
            fixed.append(lab)
        data["labs"] = fixed
    return data


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "missing (required)"
    elif error["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{loc}: {message}" if loc else message


def load_secrets(mode: str, env: Mapping[str, str]) -> Secrets:
    """The two variables a mode needs; a missing or wrong-looking one is named."""
    bot = _secret(
        env,
        "SLACK_BOT_TOKEN",
        "xoxb-",
        "the Bot User OAuth Token from your app's OAuth & Permissions page",
    )
    if mode == "socket":
        app = _secret(
            env,
            "SLACK_APP_TOKEN",
            "xapp-",
            "an app-level token with the connections:write scope (Basic Information → "
            "App-Level Tokens); or run with --http",
        )
        return Secrets(bot_token=bot, app_token=app)
    secret = _secret(
        env, "SLACK_SIGNING_SECRET", "", "the Signing Secret from your app's Basic Information page"
    )
    return Secrets(bot_token=bot, signing_secret=secret)


def _secret(env: Mapping[str, str], name: str, prefix: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set", hint=f"set it to {what}")
    if prefix and not value.startswith(prefix):
        raise ConfigError(f"{name} does not start with {prefix!r}", hint=f"it should be {what}")
    return value
