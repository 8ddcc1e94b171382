"""The SSH target: a lesson's commands and probes on a lab VM, over one connection.

One paramiko transport per lab carries every command, probe and docker call
of a lesson (a new channel each, no new handshake). Configured by an ssh URL
(``ssh://vagrant@127.0.0.1:2222``) or an OpenSSH config file such as the
output of ``vagrant ssh-config`` or a netns lab's generated config.

* Host keys are pinned: known_hosts (the config's UserKnownHostsFile, else
  ~/.ssh/known_hosts) must know the lab, unless the config says
  ``StrictHostKeyChecking no`` (Vagrant's does).
* Commands run one after another in one long-lived python3 on the lab
  (:mod:`.labprocess`), which kills a command's whole process group when its time
  is up or when the step stops waiting for it. Where that cannot run, each
  command is an sshd session of its own, wrapped in coreutils ``timeout``. The
  local deadline is a backstop for a lab that stops answering.
* A dead link (a lab that vanished from the network, a cable pulled) is noticed
  within about ``_KEEPALIVE + _DEAD_AFTER`` seconds, even while a long command
  prints nothing: a keepalive goes out after ``_KEEPALIVE`` s of silence, and
  the kernel drops the connection once data has gone unacknowledged for
  ``_DEAD_AFTER`` s (TCP_USER_TIMEOUT, Linux; elsewhere the backstop is the
  limit). Without it a cut link surfaced only after the step's timeout, the
  backstop and a channel-open timeout (90 s for a 60 s step), as a "hung" command.
* A transport failure (unreachable, auth refused, connection dropped) raises
  :class:`TargetError` naming the lab: an error, never a failed check.
* The lab's engine is spoken to over the same connection, through one
  ``docker system dial-stdio`` channel (:mod:`.dockerapi.stream`), and its facts
  come from the same python3 as its commands; each falls back to a process per
  question (the docker CLI, ``python3 -``) where that cannot run.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import paramiko

from .commands import CommandResult, OutputSink
from .dockerapi import CliDocker, DockerApi
from .dockerapi.stream import DIAL, LabDocker, StreamDocker
from .errors import TargetError
from .labprocess import SOURCES, LabProcess, Lost, Unavailable
from .probes import HostProbes
from .streams import Output
from .targets import SHELL_PRELUDE

_BACKSTOP = 10.0  # seconds past a command's timeout before we give up on the lab
_KEEPALIVE = 5  # seconds without sending before a keepalive goes out
_DEAD_AFTER = 20.0  # seconds sent data may stay unacknowledged before the link counts as dead
_TIMEOUT_EXIT = 124  # coreutils timeout: the command timed out


class SSHTarget(HostProbes):
    """A lab reached over SSH; same results and probes as :class:`LocalTarget`."""

    handshakes: ClassVar[int] = 0  # counted process-wide (tests and benchmarks read it)
    _count_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str, client: paramiko.SSHClient, address: str | None = None) -> None:
        self.name = name
        self.address = address  # what the lab was reached at (a name, or an address)
        self._client = client
        self._api: LabDocker | None = None
        self._lab = LabProcess(self._open_channel)  # its commands and its facts

    # -- connecting ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        name: str,
        *,
        url: str | None = None,
        ssh_config: Path | None = None,
        host: str | None = None,
        connect_timeout: float = 10.0,
    ) -> SSHTarget:
        """Connect once; ``url`` or ``ssh_config`` (+ ``host``, default ``name``)."""
        if (url is None) == (ssh_config is None):
            raise TargetError(f"lab {name}: give either an ssh:// URL or an ssh_config file")
        settings = _from_url(url) if url else _from_config(ssh_config, host or name)  # type: ignore[arg-type]
        client = paramiko.SSHClient()
        known = settings["known_hosts"]
        try:
            if known:
                for path in known:
                    if path != "/dev/null" and Path(path).exists():
                        client.load_host_keys(path)
            else:
                client.load_system_host_keys()
        except (OSError, paramiko.SSHException) as exc:
            raise TargetError(f"lab {name}: cannot read known hosts: {exc}") from exc
        strict = settings["strict"]
        client.set_missing_host_key_policy(
            paramiko.RejectPolicy() if strict else paramiko.AutoAddPolicy()
        )
        where = f"{settings['user']}@{settings['hostname']}:{settings['port']}"
        try:
            with cls._count_lock:
                cls.handshakes += 1
            client.connect(
                settings["hostname"],
                port=settings["port"],
                username=settings["user"],
                key_filename=settings["identities"] or None,
                look_for_keys=not settings["identities_only"],
                allow_agent=not settings["identities_only"],
                timeout=connect_timeout,
                banner_timeout=connect_timeout,
                auth_timeout=connect_timeout,
            )
        except paramiko.BadHostKeyException as exc:
            raise TargetError(
                f"lab {name} ({where}): its host key has CHANGED; refusing to connect",
                hint="if the lab was rebuilt, remove its old key from known_hosts",
            ) from exc
        except paramiko.SSHException as exc:
            if _no_ssh_server(client, exc):
                # Something took the connection (a VM's forwarded port, a proxy)
                # but no SSH server answered behind it: a VM still booting.
                raise TargetError(
                    f"lab {name} ({where}) is not ready: it took the connection, "
                    f"but no SSH server answered ({exc})",
                    hint="a lab VM may still be booting (`vagrant status`, "
                    "`scripts/vm-lab.sh status NAME`); try again once it is up",
                ) from exc
            hint = None
            if "not found in known_hosts" in str(exc):
                hint = "pin its key first (ssh to it once, or ssh-keyscan into known_hosts)"
            raise TargetError(f"lab {name} ({where}): {exc}", hint=hint) from exc
        except (OSError, EOFError) as exc:
            raise TargetError(
                f"lab {name} ({where}) is unreachable: {exc}",
                hint="is the lab VM up (`vagrant status`), and is its address right?",
            ) from exc
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(_KEEPALIVE)
            if isinstance(transport.sock, socket.socket):
                # Small request/reply packets: without this, Nagle's algorithm and
                # delayed ACKs add ~40 ms to every channel open.
                with contextlib.suppress(OSError):
                    transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                # The keepalives must be acknowledged: a link that went dead ends
                # the connection (and the step, with a TargetError) in bounded time.
                user_timeout = getattr(socket, "TCP_USER_TIMEOUT", None)
                if user_timeout is not None:
                    with contextlib.suppress(OSError):
                        transport.sock.setsockopt(
                            socket.IPPROTO_TCP, user_timeout, int(_DEAD_AFTER * 1000)
                        )
        return cls(name, client, str(settings["hostname"]))

    # -- Target protocol ----------------------------------------------------------------

    def run(
        self, command: str, *, timeout: float, on_output: OutputSink | None = None
    ) -> CommandResult:
        if self._lab.ready():
            output = Output(command, on_output)
            try:
                ended = self._lab.run(SHELL_PRELUDE + command, timeout, output, backstop=_BACKSTOP)
            except Lost as exc:
                raise self._lost(command, exc) from exc
            except Unavailable:
                pass  # another thread's command holds it: a session of its own
            else:
                code, timed_out = ended or (-1, True)
                return output.result(code, timed_out=timed_out)
        # --norc: the login shell sshd started has read the start-up files already.
        wrapped = (
            f"exec timeout --kill-after=2 {max(timeout, 0.1):.3f} "
            f"bash --norc -c {shlex.quote(SHELL_PRELUDE + command)}"
        )
        return self._exec(command, wrapped, timeout=timeout, on_output=on_output)

    def docker(self) -> DockerApi:
        if self._api is None:
            cli = CliDocker(self.run, where=f"lab {self.name}")
            self._api = LabDocker(StreamDocker(lambda: self._open_channel(DIAL)), cli)
        return self._api

    def paths(self) -> dict[str, str]:
        """How the lab's engine and facts are reached now (``doctor --lab``)."""
        self.docker()
        assert self._api is not None
        return {"engine": self._api.path(), **self._lab.paths()}

    def _probe(self, kind: str, *args: str) -> Any:
        try:
            return self._lab.ask(kind, *args)
        except ValueError as exc:  # the probe itself failed there
            raise TargetError(
                f"lab {self.name}: cannot read {kind} there: {exc}",
                hint="the lab needs python3 for probes",
            ) from exc
        except Unavailable:  # (no process there, or another thread's command holds it)
            return self._probe_once(kind, *args)

    def _probe_once(self, kind: str, *args: str) -> Any:
        """The fallback: a python3 for this one fact."""
        argv = " ".join(shlex.quote(a) for a in (kind, *args))
        res = self._exec(kind, f"python3 - {argv}", timeout=30, stdin=SOURCES["hostprobe"])
        if not res.ok:
            raise TargetError(
                f"lab {self.name}: cannot read {kind} there: {res.stderr.strip() or res.exit_code}",
                hint="the lab needs python3 for probes",
            )
        try:
            return json.loads(res.stdout)
        except ValueError as exc:
            raise TargetError(
                f"lab {self.name}: the {kind} probe printed something unreadable: {exc}"
            ) from exc

    def now(self) -> float:
        """The lab's clock (see :func:`~hostnet.engine.targets.target_now`): its own
        ``date``, read there before anything to be compared with it happens.

        Read each time rather than as an offset from ours: half a round trip of
        error (tens of ms even on a fast link) is enough to make a log line that
        a step's first command wrote seem older than the step.
        """
        try:
            return float(self._lab.ask("now"))
        except (Unavailable, ValueError, TypeError):
            pass
        res = self._exec("date +%s.%N", "date +%s.%N", timeout=10)
        try:
            return float(res.stdout.strip())
        except ValueError:  # no GNU date there: take its clock for ours
            return time.time()

    def close(self) -> None:
        self._lab.close()
        if self._api is not None:
            self._api.close()
        self._client.close()

    # -- plumbing -----------------------------------------------------------------------

    def _exec(
        self,
        shown: str,
        remote: str,
        *,
        timeout: float,
        on_output: OutputSink | None = None,
        stdin: str | None = None,
    ) -> CommandResult:
        output = Output(shown, on_output)
        with self._channel(shown) as channel:
            try:
                channel.exec_command(remote)
                if stdin is not None:
                    channel.sendall(stdin.encode())
                channel.shutdown_write()
                finished = _read_until_exit(channel, output, output.started + timeout + _BACKSTOP)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self._lost(shown, exc) from exc
            if not finished:
                return output.result(-1, timed_out=True)
            code = channel.recv_exit_status()
        if code == -1 or not self._alive():
            raise self._lost(shown, "the connection closed")
        timed_out = (
            code in (_TIMEOUT_EXIT, 128 + 9) and time.monotonic() - output.started >= timeout
        )
        return output.result(code, timed_out=timed_out)

    def _open_channel(self, command: str) -> paramiko.Channel:
        """An exec channel running ``command`` that stays open: the caller owns it."""
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise self._lost(command, "the connection is closed")
        channel = transport.open_session(timeout=10)
        channel.exec_command(command)
        return channel

    @contextmanager
    def _channel(self, shown: str) -> Iterator[paramiko.Channel]:
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise self._lost(shown, "the connection is closed")
        try:
            channel = transport.open_session(timeout=10)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise self._lost(shown, exc) from exc
        try:
            yield channel
        finally:
            channel.close()

    def _alive(self) -> bool:
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def _lost(self, shown: str, why: object) -> TargetError:
        return TargetError(
            f"lab {self.name}: lost the SSH connection while running `{shown}`: {why}",
            hint="is the lab still up? Its sshd may have stopped or the network dropped",
        )


def _no_ssh_server(client: paramiko.SSHClient, exc: paramiko.SSHException) -> bool:
    """Whether the connection was taken but no SSH server ever spoke on it."""
    if "protocol banner" in str(exc):
        return True
    # paramiko gives up waiting for the handshake quietly, then fails the
    # authentication with "No existing session": no banner was read at all.
    transport = client.get_transport()
    return transport is not None and not transport.remote_version


def _read_until_exit(channel: paramiko.Channel, output: Output, deadline: float) -> bool:
    """Read stdout and stderr until the command exits; False at the backstop deadline."""
    while True:
        got = False
        while channel.recv_ready():
            output.add("stdout", channel.recv(65536))
            got = True
        while channel.recv_stderr_ready():
            output.add("stderr", channel.recv_stderr(65536))
            got = True
        if (
            channel.exit_status_ready()
            and not channel.recv_ready()
            and not channel.recv_stderr_ready()
        ):
            return True
        if channel.closed and not got:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if not got:
            select.select([channel], [], [], min(remaining, 0.5))


def _from_url(url: str) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "ssh" or not parts.hostname:
        raise TargetError(f"not an ssh URL: {url!r}", hint="write it as ssh://user@host:port")
    return {
        "hostname": parts.hostname,
        "port": parts.port or 22,
        "user": parts.username or os.environ.get("USER") or "root",
        "identities": [],
        "identities_only": False,
        "known_hosts": [],
        "strict": True,
    }


def _from_config(path: Path, host: str) -> dict[str, Any]:
    try:
        config = paramiko.SSHConfig.from_path(str(path))
    except OSError as exc:
        raise TargetError(f"cannot read ssh config {path}: {exc.strerror or exc}") from exc
    if host not in config.get_hostnames():
        hosts = ", ".join(sorted(h for h in config.get_hostnames() if h != "*")) or "none"
        raise TargetError(f"{path} has no `Host {host}`", hint=f"its hosts: {hosts}")
    entry = config.lookup(host)
    known = entry.get("userknownhostsfile", "")
    return {
        "hostname": entry.get("hostname", host),
        "port": int(entry.get("port", 22)),
        "user": entry.get("user") or os.environ.get("USER") or "root",
        "identities": [os.path.expanduser(p) for p in entry.get("identityfile", [])],
        "identities_only": str(entry.get("identitiesonly", "no")).lower() == "yes",
        "known_hosts": [os.path.expanduser(p) for p in known.split()] if known else [],
        "strict": str(entry.get("stricthostkeychecking", "yes")).lower() not in ("no", "off"),
    }
