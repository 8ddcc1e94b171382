"""Labs registered by name (``docker hostnet lab add NAME --ssh-config FILE``).

A small JSON file in ``$XDG_CONFIG_HOME/docker-hostnet/labs.json`` (or
``$HOSTNET_LABS_FILE``) maps a name to an ssh URL or an OpenSSH config file
and host, such as the output of ``vagrant ssh-config lab-01``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import EnvironmentProblem, TargetError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class LabSpec:
    name: str
    url: str | None = None
    ssh_config: str | None = None
    host: str | None = None  # the `Host` entry in ssh_config (default: the name)

    def describe(self) -> str:
        return self.url or f"{self.ssh_config} (Host {self.host or self.name})"


def registry_path() -> Path:
    if explicit := os.environ.get("HOSTNET_LABS_FILE"):
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "docker-hostnet" / "labs.json"


def load() -> dict[str, LabSpec]:
    path = registry_path()
    try:
        raw = json.loads(path.read_text()) if path.exists() else {}
        return {name: LabSpec(name=name, **fields) for name, fields in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError) as exc:  # (not a JSON object)
        raise EnvironmentProblem(
            f"cannot read the lab list {path}: {exc}", hint="fix or remove the file"
        ) from exc


def add(spec: LabSpec) -> Path:
    if not NAME.match(spec.name):
        raise EnvironmentProblem(f"invalid lab name {spec.name!r}: use letters, digits, . _ -")
    if (spec.url is None) == (spec.ssh_config is None):
        raise EnvironmentProblem("a lab needs either an ssh:// URL or an ssh_config file")
    labs = load()
    labs[spec.name] = spec
    return _save(labs)


def remove(name: str) -> bool:
    labs = load()
    if labs.pop(name, None) is None:
        return False
    _save(labs)
    return True


def get(name: str) -> LabSpec:
    labs = load()
    if name not in labs:
        known = ", ".join(sorted(labs)) or "none"
        raise TargetError(
            f"no lab named {name!r}",
            hint=f"registered labs: {known}; add one with "
            "`docker hostnet lab add NAME --ssh-config FILE` (e.g. from `vagrant ssh-config`)",
        )
    return labs[name]


def _save(labs: dict[str, LabSpec]) -> Path:
    path = registry_path()
    data = {
        name: {k: v for k, v in asdict(spec).items() if k != "name" and v is not None}
        for name, spec in sorted(labs.items())
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(path)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write the lab list {path}: {exc.strerror or exc}"
        ) from exc
    return path
