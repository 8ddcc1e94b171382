"""Put ``docker-hostnet`` into (or take it out of) the Docker CLI plugin directory.

The Docker CLI looks for ``docker-<name>`` executables in
``$DOCKER_CONFIG/cli-plugins`` (default ``~/.docker/cli-plugins``) and in
system directories such as ``/usr/local/lib/docker/cli-plugins``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from hostnet.engine.errors import EnvironmentProblem

from .protocol import METADATA_COMMAND, SYSTEM_PLUGIN_DIR, metadata

EXECUTABLE = "docker-hostnet"
SYSTEM_DIR = Path(SYSTEM_PLUGIN_DIR)


def plugin_dir(*, system: bool) -> Path:
    if system:
        return SYSTEM_DIR
    config = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return Path(config) / "cli-plugins"


def entry_point() -> Path:
    """The installed console script, next to the interpreter running us."""
    beside = Path(sys.executable).parent / EXECUTABLE
    found = beside if beside.exists() else shutil.which(EXECUTABLE)
    if not found:
        raise EnvironmentProblem(
            f"cannot find the {EXECUTABLE} executable of this installation",
            hint="install the package with pip (`pip install .`), then run `hostnet install`",
        )
    return Path(found).absolute()


MARKER = "# installed by `hostnet install`"


def wrapper_script(entry: Path) -> str:
    """A /bin/sh front for the plugin: the Docker CLI asks every plugin for its
    metadata on every `docker --help`, and sh answers in a millisecond where
    Python needs tens (measured in bench/run.py)."""
    answer = json.dumps(metadata())
    return (
        "#!/bin/sh\n"
        f"{MARKER}; run it again after upgrading docker-hostnet.\n"
        f'if [ "$1" = {METADATA_COMMAND} ]; then\n'
        f"    printf '%s\\n' {shlex.quote(answer)}\n"
        "    exit 0\n"
        "fi\n"
        f'exec {shlex.quote(str(entry))} "$@"\n'
    )


def _ours(path: Path) -> bool:
    try:
        return path.is_symlink() or MARKER in path.read_text(errors="replace")[:200]
    except OSError:
        return False


def install(*, system: bool, force: bool = False) -> Path:
    directory = plugin_dir(system=system)
    path = directory / EXECUTABLE
    script = wrapper_script(entry_point())
    if path.exists() and not _ours(path) and not force:
        raise EnvironmentProblem(
            f"{path} exists and was not made by `hostnet install`",
            hint="remove it yourself, or pass --force to replace it",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{EXECUTABLE}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.write_text(script)
        tmp.chmod(0o755)
        tmp.replace(path)  # atomic: docker never sees a half-written plugin
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot install into {directory}: {exc.strerror or exc}",
            hint="use sudo for --system, or install for your user only (without --system)",
        ) from exc
    return path


def uninstall(*, system: bool) -> Path | None:
    link = plugin_dir(system=system) / EXECUTABLE
    if not link.exists() and not link.is_symlink():
        return None
    try:
        link.unlink()
    except OSError as exc:
        raise EnvironmentProblem(f"cannot remove {link}: {exc.strerror or exc}") from exc
    return link


def verify_listed() -> str:
    """Ask the Docker CLI whether it now lists the plugin."""
    docker = shutil.which("docker")
    if docker is None:
        return (
            "The docker CLI is not on PATH, so it cannot use the plugin yet; `hostnet` works alone."
        )
    try:
        help_text = subprocess.run(
            [docker, "--help"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Could not run `docker --help` to verify: {exc}"
    if any(line.split()[:1] in (["hostnet"], ["hostnet*"]) for line in help_text.splitlines()):
        return "`docker --help` lists it: try `docker hostnet lessons`."
    return (
        "`docker --help` does not list it yet. Is DOCKER_CONFIG the same for docker and for "
        "this command? `docker info` shows plugin errors under Client > Plugins."
    )


HOOKED_COMMANDS = "run,container run"
HOOKS_MIN_VERSION = (26, 1)


def set_hooks(*, enabled: bool) -> str:
    """Opt in to (or out of) the CLI hook in ``$DOCKER_CONFIG/config.json``."""
    version = _cli_version()
    if enabled and version is not None and version < HOOKS_MIN_VERSION:
        raise EnvironmentProblem(
            f"this docker CLI ({'.'.join(map(str, version))}) has no plugin hooks",
            hint="hooks need docker 26.1 or later",
        )
    path = plugin_dir(system=False).parent / "config.json"
    try:
        config = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise EnvironmentProblem(f"cannot read {path}: {exc}") from exc
    plugins = config.setdefault("plugins", {})
    if enabled:
        plugins.setdefault("hostnet", {})["hooks"] = HOOKED_COMMANDS
        # Recent CLIs run plugin hooks only when this feature is on (or DOCKER_CLI_HOOKS=1).
        config.setdefault("features", {})["hooks"] = "true"
    else:
        plugins.get("hostnet", {}).pop("hooks", None)
        if plugins.get("hostnet") == {}:
            del plugins["hostnet"]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(".config.json.hostnet")
        tmp.write_text(json.dumps(config, indent="\t") + "\n")
        tmp.replace(path)  # atomic: the rest of config.json (auths, …) is never lost
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
    if enabled:
        return (
            f"Hints enabled in {path} (features.hooks is on). The docker CLI shows them in a "
            "terminal: try `docker run --rm --network host -p 8080:80 nginx`."
        )
    return f"Hints disabled in {path} (features.hooks is left as it is: other plugins may use it)."


def _cli_version() -> tuple[int, int] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    try:
        text = subprocess.run(
            [docker, "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
