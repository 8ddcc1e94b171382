"""Labs registered by name (``docker hostnet lab add NAME --ssh-config FILE``).

A small JSON file in ``$XDG_CONFIG_HOME/docker-hostnet/labs.json`` (or
``$HOSTNET_LABS_FILE``) maps a name to the rest of its :class:`LabSpec`: an
ssh URL, or an OpenSSH config file and host such as the output of
``vagrant ssh-config lab-01``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import EnvironmentProblem, TargetError
from .spec import LabSpec


def registry_path() -> Path:
    if explicit := os.environ.get("HOSTNET_LABS_FILE"):
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "docker-hostnet" / "labs.json"


def load() -> dict[str, LabSpec]:
    path = registry_path()
    try:
        raw = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(raw, dict):
            raise ValueError("expected a JSON object of labs by name")
        labs = {}
        for name, fields in raw.items():
            if not isinstance(fields, dict):
                raise ValueError(f"lab {name!r}: expected an object")
            labs[name] = LabSpec.checked(**{**fields, "name": name})
        return labs
    except (OSError, ValueError, EnvironmentProblem) as exc:
        raise EnvironmentProblem(
            f"cannot read the lab list {path}: {exc}", hint="fix or remove the file"
        ) from exc


def add(spec: LabSpec) -> Path:
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
        name: spec.model_dump(mode="json", exclude={"name"}, exclude_defaults=True)
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
