"""Where a lesson's commands and probes run.

Every target returns the same :class:`CommandResult` and offers the same
probes, so checks never know whether they look at the learner's machine or a
lab VM.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from typing import Any, Protocol

from . import hostprobe
from .commands import CommandResult, OutputSink
from .dockerapi import DockerApi, SdkDocker, SocketDocker
from .errors import EnvironmentProblem, TargetError, first_line
from .probes import HostProbes, Probes
from .signals import sigint_deferred
from .streams import Output, Stream

# Root does not need sudo, and minimal machines (containers, CI) often lack it:
# there `sudo cmd` simply runs cmd, so the workshop's `sudo netstat` still works.
# bash knows its EUID; `id -u` (a process: ~1 ms of every command) only for sh.
SHELL_PRELUDE = 'if [ "${EUID:-$(id -u)}" = 0 ] && ! command -v sudo >/dev/null 2>&1; then sudo() { "$@"; }; fi\n'
_KILL_GRACE = 2.0


class Target(Probes, Protocol):
    """A machine lessons run on: commands, its Docker engine, and typed probes of its host.

    A target may also offer ``now() -> float``, its own clock: see :func:`target_now`.
    """

    name: str
    address: str | None
    """The host's address as other machines reach it, when known (a lab's)."""

    def run(
        self, command: str, *, timeout: float, on_output: OutputSink | None = None
    ) -> CommandResult:
        """Run a shell command; kill it (and its children) after ``timeout`` seconds."""
        ...

    def docker(self) -> DockerApi:
        """This target's Docker engine (raises EnvironmentProblem when unreachable)."""
        ...

    def close(self) -> None: ...


def target_now(target: Target) -> float:
    """The target's clock, in epoch seconds.

    Timestamps that the target's own engine compares (``docker logs --since``,
    ``docker events --since/--until``) must be on its clock, not on this
    machine's: a lab VM's clock may be off by a second or more, and a log line
    written just after a step began would then seem older than the step.
    Targets without a clock of their own (this machine) use ``time.time()``.
    """
    now = getattr(target, "now", None)
    return float(now()) if callable(now) else time.time()


class LocalTarget(HostProbes):
    """The learner's own machine and the engine their ``docker`` talks to.

    ``docker_host`` / ``context`` come from the docker CLI's global flags
    (``-H``, ``--context``) when the plugin is run as ``docker --context x hostnet``;
    without them the SDK resolves ``DOCKER_HOST``, ``DOCKER_CONTEXT`` and the
    current context exactly as the CLI does.
    """

    def __init__(self, *, docker_host: str | None = None, context: str | None = None) -> None:
        self.name = "local"
        self.address: str | None = None
        self._docker_host = docker_host
        self._context = context
        self._api: DockerApi | None = None
        self._env = self._child_env(os.environ, docker_host=docker_host, context=context)
        self._shell = shutil.which("bash") or "/bin/sh"

    @staticmethod
    def _child_env(
        base: Mapping[str, str], *, docker_host: str | None, context: str | None
    ) -> dict[str, str]:
        # The plugin protocol's variables belong to this process, not to the
        # docker commands it runs for the learner.
        env = {k: v for k, v in base.items() if not k.startswith("DOCKER_CLI_PLUGIN_")}
        if docker_host:
            env["DOCKER_HOST"] = docker_host
            env.pop("DOCKER_CONTEXT", None)
        elif context:
            env["DOCKER_CONTEXT"] = context
            env.pop("DOCKER_HOST", None)
        return env

    def run(
        self, command: str, *, timeout: float, on_output: OutputSink | None = None
    ) -> CommandResult:
        output = Output(command, on_output)
        proc: subprocess.Popen[bytes] | None = None
        timed_out = False
        try:
            # A Ctrl-C while it starts is raised once `proc` is known (raised inside
            # Popen, after the fork, it would leave the command running with nobody
            # to kill it: it has a session of its own, the terminal's Ctrl-C never
            # reaches it). Where the caller holds Ctrl-C back, the caller gets it.
            with sigint_deferred():
                proc = self._start(command)
            timed_out = not _read_until_exit(proc, output, output.started + timeout)
        finally:
            # Reached on timeout, on Ctrl-C and on any error in on_output:
            # a command never outlives the step that started it.
            if proc is not None:
                _end(proc)
        assert proc is not None
        code = proc.returncode
        return output.result(-1 if code is None else code, timed_out=timed_out)

    def _start(self, command: str) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                [self._shell, "-c", SHELL_PRELUDE + command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
                start_new_session=True,  # its own process group: killed as a whole
            )
        except OSError as exc:
            raise TargetError(f"cannot start {self._shell}: {exc}") from exc

    def docker(self) -> DockerApi:
        if self._api is None:
            self._api = _connect_docker(self._docker_host, self._context)
        return self._api

    def _probe(self, kind: str, *args: str) -> Any:
        return hostprobe.collect(kind, *args)

    def close(self) -> None:
        close = getattr(self._api, "close", None)
        if close is not None:
            close()
        self._api = None


def _read_until_exit(proc: subprocess.Popen[bytes], output: Output, deadline: float) -> bool:
    """Read both pipes until the process closes them; False when the deadline passed."""
    assert proc.stdout is not None and proc.stderr is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for key, _ in sel.select(timeout=remaining):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                stream: Stream = key.data
                output.add(stream, data)
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    return True


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command's process group if it still runs; close its pipes."""
    if proc.poll() is None:
        _kill_group(proc)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=_KILL_GRACE)
            break
        except subprocess.TimeoutExpired:
            continue


def _connect_docker(docker_host: str | None, context: str | None) -> DockerApi:
    """Connect to the engine the user's ``docker`` would use with the same flags.

    The CLI's order: ``--context``, ``-H``, ``DOCKER_HOST``, ``DOCKER_CONTEXT``,
    the current context in config.json. Contexts are resolved by the docker
    CLI itself (docker-py silently falls back to the default engine when it
    cannot read a context, which would run the lesson somewhere else).
    """
    if context is None and docker_host is None and not os.environ.get("DOCKER_HOST"):
        context = os.environ.get("DOCKER_CONTEXT") or _current_context()
        if context == "default":
            context = None
    if context is not None:
        docker_host = _context_host(context)
    host = docker_host or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    where = f"context {context!r} ({host})" if context else host
    if host.startswith("unix://"):
        api = SocketDocker(host.removeprefix("unix://"))
        try:
            api.ping()
        except EnvironmentProblem as exc:
            raise _unreachable(where, exc.args[0].rsplit(": ", 1)[-1]) from exc
        return api
    import docker  # other transports (tcp+TLS, ssh): the SDK, imported only here
    from docker.errors import DockerException

    try:
        if docker_host:
            client = docker.DockerClient(base_url=docker_host, version="auto")
        else:
            client = docker.from_env(version="auto", use_context=False)
        client.ping()
    except DockerException as exc:
        raise _unreachable(where, first_line(exc)) from exc
    return SdkDocker(client)


def _unreachable(where: str, why: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"cannot reach the Docker engine at {where}: {why}",
        hint="is Docker installed and running? On Linux: `sudo systemctl start docker` "
        "(or `sudo dockerd &` where there is no systemd)",
    )


def _current_context() -> str | None:
    import json

    config = os.environ.get("DOCKER_CONFIG") or os.path.expanduser("~/.docker")
    try:
        with open(os.path.join(config, "config.json")) as f:
            name = json.load(f).get("currentContext")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def _context_host(context: str) -> str:
    cli = shutil.which("docker")
    if cli is None:
        raise EnvironmentProblem(
            f"cannot resolve docker context {context!r}: the docker CLI is not on PATH",
            hint="use -H / DOCKER_HOST to name the engine instead",
        )
    res = subprocess.run(
        [cli, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}", context],
        capture_output=True,
        text=True,
        timeout=30,
    )
    host = res.stdout.strip()
    if res.returncode != 0 or not host:
        raise EnvironmentProblem(
            f"no usable docker context {context!r}: {res.stderr.strip() or 'no docker endpoint'}",
            hint="`docker context ls` lists the contexts",
        )
    return host
