"""What a lab is, and how it is opened: one model for every front end.

The CLI's registry (``docker hostnet lab add``, ``--lab NAME``) stores
:class:`LabSpec` entries, the bot's configuration (``labs:`` in
hostnet-bot.yaml) validates each entry as one, and both open a lab with
:meth:`LabSpec.open`.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import EnvironmentProblem, TargetError
from ..targets import LocalTarget, Target

# A lab name is the `Host` alias looked up in an OpenSSH config (where `*`, `?`,
# `!`, `,` and blanks are pattern syntax), a word in messages, logs and Slack,
# and often a VM's hostname (a Vagrant machine's name). So: letters, digits,
# `.`, `_` and `-`; a letter or digit first (never read as an option, never a
# hidden or relative path); at most 63 characters, a hostname label's limit
# (RFC 1035). netns labs use a stricter subset for the namespace's own name
# (see ``netns.layout``), so every netns lab is a valid lab.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}"
NAME_RULE = "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"
_NAME = re.compile(NAME_PATTERN)


class LabSpec(BaseModel):
    """One lab: an SSH host (``url``, or ``ssh_config`` + ``host``) or this machine (``local``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description=f"The lab's name: {NAME_RULE}")
    url: str | None = Field(default=None, description="ssh://user@host[:port]")
    ssh_config: Path | None = Field(default=None, description="OpenSSH client config file")
    host: str | None = Field(default=None, description="Host entry in ssh_config (default: name)")
    local: bool = Field(default=False, description="Run on this machine (development)")
    variables: dict[str, str] = Field(default_factory=dict, description="Lesson variables")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid lab name {name!r}: {NAME_RULE}")
        return name

    @model_validator(mode="after")
    def _one_kind(self) -> LabSpec:
        kinds = [k for k in ("url", "ssh_config") if getattr(self, k) is not None]
        if self.local:
            kinds.append("local")
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of url: ssh://user@host, ssh_config: FILE or local: true"
                + (f" (got {', '.join(kinds)})" if kinds else "")
            )
        if self.host is not None and self.ssh_config is None:
            raise ValueError("host: names an entry of ssh_config:, which is missing")
        if self.url is not None:
            parts = urllib.parse.urlsplit(self.url)
            if parts.scheme != "ssh" or not parts.hostname:
                raise ValueError(f"url must look like ssh://user@host[:port], got {self.url!r}")
        return self

    @classmethod
    def checked(cls, **fields: Any) -> LabSpec:
        """A spec from user input (a command line, a registry entry); a mistake is
        an :class:`EnvironmentProblem` with one clear line, not a ValidationError."""
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            raise EnvironmentProblem(first_error(exc)) from None

    def describe(self) -> str:
        """Where the lab is, in a few words (``lab list``)."""
        if self.local:
            return "this machine (local)"
        return self.url or f"{self.ssh_config} (Host {self.host or self.name})"

    def open(self) -> Target:
        """Connect to the lab: one connection, for the caller to reuse and close.

        Raises :class:`TargetError`, naming the lab, when it cannot be reached.
        """
        if self.local:
            local = LocalTarget()
            local.name = self.name
            return local
        from ..ssh import SSHTarget  # paramiko: imported only for SSH labs

        try:
            return SSHTarget.open(
                self.name, url=self.url, ssh_config=self.ssh_config, host=self.host
            )
        except TargetError as exc:
            message = str(exc.args[0]) if exc.args else str(exc)
            if message.startswith(f"lab {self.name}"):
                raise
            # (An unreadable ssh config or a missing Host entry: say which lab.)
            raise TargetError(f"lab {self.name}: {message}", hint=exc.hint) from exc


def first_error(exc: ValidationError) -> str:
    """The first problem of a failed validation, as one line."""
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    loc = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    return message if error["type"] == "value_error" or not loc else f"{loc}: {message}"
