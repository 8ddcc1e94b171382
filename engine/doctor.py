"""Prerequisites of the lessons on a target, each with a remedy.

Used by ``docker hostnet doctor``; works the same on a lab (through the
target's commands and probes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .enginekind import ROOTLESS_DOCS, EngineKind, engine_kind
from .errors import EnvironmentProblem
from .targets import Target

Level = Literal["ok", "warn", "fail"]

# Docker Desktop's host networking: beta from 4.29, generally available from 4.34.
DESKTOP_NOTE = (
    "Docker Desktop: host networking needs version 4.34 or later with Settings > Resources > "
    "Network > Enable host networking (TCP/UDP only, Linux containers only, not with "
    "Enhanced Container Isolation)"
)


@dataclass(frozen=True)
class Finding:
    name: str
    level: Level
    detail: str
    remedy: str = ""


def examine(target: Target, *, image: str = "nginx", port: int = 80) -> list[Finding]:
    findings = [_system(target), *_engine(target, image)]
    findings += [
        _tool(target, "curl", "sudo apt install curl"),
        _tool(target, "ip", "sudo apt install iproute2"),
    ]
    findings.append(_netstat(target))
    findings.append(_privileges(target))
    findings.append(_port(target, port))
    return findings + _lab_paths(target)


def _lab_paths(target: Target) -> list[Finding]:
    """On a lab: how its engine, its facts and its commands are reached (one process
    each for the lesson, or one per question where the lab cannot run them)."""
    paths = getattr(target, "paths", None)
    if not callable(paths):
        return []
    found: dict[str, str] = paths()
    engine, facts, commands = found["engine"], found["facts"], found["commands"]
    return [
        Finding("lab engine", "warn" if "one process per call" in engine else "ok", engine,
                "docker CLI 18.09 or later on the lab gives `docker system dial-stdio`"),
        Finding("lab facts", "warn" if "per fact" in facts else "ok", facts,
                "python3 3.8 or later on the lab"),
        Finding("lab commands", "warn" if "per command" in commands else "ok", commands,
                "python3 3.8 or later on the lab"),
    ]  # fmt: skip


def _system(target: Target) -> Finding:
    res = target.run("uname -s", timeout=10)
    system = res.stdout.strip() or "unknown"
    if system == "Linux":
        return Finding("system", "ok", "Linux")
    return Finding("system", "warn", system, DESKTOP_NOTE)


def _engine(target: Target, image: str) -> list[Finding]:
    try:
        api = target.docker()
        info = api.info()
    except EnvironmentProblem as exc:
        return [Finding("docker engine", "fail", str(exc).splitlines()[0], exc.hint or "")]
    version = str(info.get("ServerVersion", "?"))
    system = str(info.get("OperatingSystem", "?"))
    findings = []
    if "Docker Desktop" in system:
        findings.append(Finding("docker engine", "warn", f"{version} on {system}", DESKTOP_NOTE))
    elif info.get("OSType") not in (None, "linux"):
        findings.append(
            Finding(
                "docker engine",
                "fail",
                f"{version}, {info.get('OSType')} containers",
                "the host network driver needs Linux containers",
            )
        )
    else:
        findings.append(Finding("docker engine", "ok", f"{version} on {system}"))
    findings.append(engine_mode(engine_kind(info)))
    if api.image_present(image):
        findings.append(Finding("lesson image", "ok", f"{image} is present"))
    else:
        findings.append(
            Finding(
                "lesson image",
                "warn",
                f"{image} is not present; `docker run` will pull it",
                "without a registry: scripts/build-standin-image.sh, then "
                "--var image=hostnet/nginx-standin",
            )
        )
    return findings


def engine_mode(kind: EngineKind) -> Finding:
    """Rootful or rootless, Docker or Podman: what that changes for the lessons."""
    mode = "rootless" if kind.rootless else "rootful"
    if kind.podman:
        return Finding(
            "engine mode",
            "warn",
            f"Podman {kind.version} ({mode}) answers the docker command",
            "Podman words the -p warning of host mode differently and its inspect output "
            "differs, so lessons 2 and 3 may fail where the network behaves alike; "
            "the lessons are written for Docker Engine",
        )
    if kind.host_network_is_rootlesskits():
        return Finding(
            "engine mode",
            "warn",
            f"rootless Docker {kind.version}: --network host joins RootlessKit's network "
            "namespace, not this machine's",
            "ports of host-network containers do not appear on this machine's addresses, "
            "so the lessons' checks on port 80 fail; published ports (-p) go through "
            f"RootlessKit's port driver. Engine 29.5 and later share the host's ({ROOTLESS_DOCS})",
        )
    if kind.rootless:
        return Finding(
            "engine mode",
            "ok",
            f"rootless Docker {kind.version}: --network host shares this machine's network "
            "namespace (RootlessKit's detach-netns mode, on by default from Engine 29.5)",
        )
    return Finding(
        "engine mode",
        "ok",
        f"rootful Docker {kind.version}: --network host is the network namespace of the "
        "engine's machine",
    )


def _tool(target: Target, name: str, install: str) -> Finding:
    res = target.run(f"command -v {name}", timeout=10)
    if res.ok:
        return Finding(name, "ok", res.stdout.strip())
    return Finding(name, "fail", "not found", install)


def _netstat(target: Target) -> Finding:
    for name in ("netstat", "ss"):
        res = target.run(f"command -v {name}", timeout=10)
        if res.ok:
            return Finding("netstat or ss", "ok", res.stdout.strip())
    return Finding(
        "netstat or ss", "fail", "neither found", "sudo apt install net-tools (or iproute2 for ss)"
    )


def _privileges(target: Target) -> Finding:
    res = target.run('id -u; command -v sudo || echo "-"', timeout=10)
    uid, _, sudo = res.stdout.strip().partition("\n")
    if uid.strip() == "0":
        return Finding("privileges", "ok", "root (sudo not needed)")
    if sudo.strip() not in ("", "-"):
        return Finding("privileges", "ok", f"sudo is available ({sudo.strip()})")
    return Finding(
        "privileges",
        "warn",
        "not root and no sudo",
        "`netstat -p` names other users' processes only with root; install sudo or run as root",
    )


def _port(target: Target, port: int) -> Finding:
    sockets = target.listeners(port)
    if not sockets:
        return Finding(f"port {port}", "ok", "free")
    owners = sorted({f"{p.name} (pid {p.pid})" for s in sockets for p in s.processes})
    who = ", ".join(owners) or "a process this user cannot see (run as root to name it)"
    return Finding(
        f"port {port}",
        "fail",
        f"in use by {who}",
        "lesson 1 runs nginx on the host's port 80: stop that process first",
    )
