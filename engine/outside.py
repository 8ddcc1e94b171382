"""A view from outside: probes run from another network namespace, as another
machine would see the target.

The probe is a throwaway container on the default bridge network of the
target's own engine (``busybox`` unless the lesson sets ``probe_image``). From
there the target host is reached at :func:`host_address`: the lab's own
address when the target has one (a netns lab: its veth's address), else the
bridge's gateway, which is the host as every bridge container sees it. A
service bound to 127.0.0.1 is not reachable this way; one bound to 0.0.0.0 is.

The container is removed however the probe ends: its own ``--rm``, and a
``docker rm -f`` afterwards that a Ctrl-C waits for (a killed ``docker run``
client leaves its container running).
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import urllib.parse
from dataclasses import dataclass

from .commands import CommandResult
from .errors import EnvironmentProblem
from .probes import HttpReply
from .signals import sigint_deferred
from .targets import Target

DEFAULT_IMAGE = "busybox"
LABEL = "hostnet.probe=outside"
STARTUP_MARGIN = 30.0  # seconds a probe container may take to start (an image pull, a slow lab)
_BRIDGE_NAME = "com.docker.network.bridge.name"
_STATUS = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})\b")
_HEADER_END = re.compile(r"\r?\n\r?\n")


@dataclass(frozen=True)
class Connection:
    """One TCP connection attempt from outside."""

    accepted: bool
    detail: str  # what the probe saw: accepted, refused, timed out, …


class Outside:
    def __init__(self, target: Target, image: str = DEFAULT_IMAGE) -> None:
        self._target = target
        self._image = image

    def http_get(self, url: str, timeout: float = 3.0) -> HttpReply:
        """GET ``url`` from the probe container: HTTP/1.0 over ``nc``, which every
        busybox build has (wget's options and TLS vary between builds)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            return HttpReply(None, error=f"only http:// URLs can be fetched from outside: {url}")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        request = (
            f"GET {path} HTTP/1.0\r\nHost: {parts.netloc}\r\n"
            "User-Agent: docker-hostnet-check\r\nConnection: close\r\n\r\n"
        )
        wait = f"{max(1, round(timeout))}"
        script = f'busybox printf %s "$1" | busybox nc -w {wait} "$2" "$3"'
        argv = ["sh", "-c", script, "probe", request, parts.hostname, str(parts.port or 80)]
        res = self._run(argv, timeout)
        reply = parse_reply(res.stdout)
        if reply is not None:
            return reply
        error = _last_line(res.stderr) or f"no HTTP answer (exit {res.exit_code})"
        return HttpReply(None, error=error)

    def connect(self, host: str, port: int, timeout: float = 3.0) -> Connection:
        """Open a TCP connection to ``host:port`` and close it (nc with nothing to send)."""
        wait = f"{max(1, round(timeout))}"
        argv = [
            "sh",
            "-c",
            f'nc -w {wait} "$1" "$2" </dev/null >/dev/null',
            "probe",
            host,
            str(port),
        ]
        res = self._run(argv, timeout)
        if res.ok:
            return Connection(True, "accepted")
        said = _last_line(res.stderr) or _last_line(res.stdout)
        return Connection(False, said or "refused or timed out")

    def _run(self, argv: list[str], timeout: float) -> CommandResult:
        import secrets  # (hmac and hashlib: only where an outside probe starts)

        name = f"hostnet-probe-{secrets.token_hex(4)}"
        run = (
            f"docker run --rm --network bridge --label {LABEL} --name {name} "
            f"{shlex.quote(self._image)} busybox {shlex.join(argv)}"
        )
        try:
            result = self._target.run(run, timeout=timeout + STARTUP_MARGIN)
        finally:
            with sigint_deferred():
                self._target.run(f"docker rm -f {name} >/dev/null 2>&1 || true", timeout=30)
        if "Unable to find image" in result.stderr and result.exit_code == 125:
            why = _last_line(result.stderr)
            return CommandResult(result.command, result.exit_code, "", f"probe image: {why}", 0)
        return result


def parse_reply(raw: str) -> HttpReply | None:
    """An HTTP answer as ``nc`` printed it: the status, and the body after the first
    empty line. Headers may end in a bare LF (RFC 9112 lets a recipient accept it):
    busybox httpd passes a CGI script's LF-only headers on as they are."""
    status = _STATUS.match(raw)
    if not status:
        return None
    parts = _HEADER_END.split(raw, maxsplit=1)
    return HttpReply(int(status.group(1)), body=parts[1] if len(parts) == 2 else "")


def host_address(target: Target) -> str:
    """The target host's address as a container on its default bridge reaches it."""
    if target.address is not None and _reachable_ip(target.address):
        return target.address
    # The bridge's gateway is its interface's address on the host; older engines
    # leave Gateway out of the network's IPAM config, so ask the interface then.
    res = target.run("docker network inspect bridge --format '{{json .}}'", timeout=30)
    try:
        bridge = json.loads(res.stdout)
        gateways = [c.get("Gateway", "") for c in bridge["IPAM"]["Config"] or []]
        interface = (bridge.get("Options") or {}).get(_BRIDGE_NAME, "docker0")
    except (ValueError, KeyError, TypeError, AttributeError):
        gateways, interface = [], "docker0"
    for gateway in gateways:
        if _reachable_ip(gateway):
            return str(gateway)
    shown = target.run(f"ip -4 -o addr show dev {shlex.quote(str(interface))}", timeout=30)
    for address in re.findall(r"\binet ([0-9.]+)/", shown.stdout):
        if _reachable_ip(address):
            return str(address)
    raise EnvironmentProblem(
        f"cannot tell {target.name}'s address as its containers see it: the engine's "
        f"bridge network has no IPv4 gateway ({_last_line(res.output) or 'no answer'})",
        hint="is the default bridge network there (`docker network inspect bridge`)?",
    )


def _reachable_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return ip.version == 4 and not ip.is_loopback and not ip.is_unspecified


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
