"""The lab's SSH files: generated keys, sshd's config, the pinned client config."""

from __future__ import annotations

from pathlib import Path

from .layout import Layout, NetnsLab
from .processes import run


def write_ssh_files(lab: NetnsLab, layout: Layout, tools: dict[str, str]) -> None:
    """Keys (host and client), sshd's config, and the client config that pins the host key."""
    layout.ssh_dir.mkdir(mode=0o700)
    for key, role in ((layout.host_key, "host"), (layout.client_key, "client")):
        run(
            lab.name,
            [
                tools["ssh-keygen"],
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"hostnet lab {lab.name} {role} key",
                "-f",
                str(key),
            ],
        )
    layout.authorized_keys.write_text(Path(f"{layout.client_key}.pub").read_text())
    # A home of its own, like a separate machine: the host root's shell start-up
    # files (sourced by bash for every SSH command) and ~/.docker stay out.
    layout.home.mkdir(exist_ok=True)
    for rc in (".bashrc", ".profile"):
        (layout.home / rc).write_text(f"# docker-hostnet lab {lab.name}\n")
    key_type, public_key = Path(f"{layout.host_key}.pub").read_text().split()[:2]
    host = lab.address if lab.ssh_port == 22 else f"[{lab.address}]:{lab.ssh_port}"
    layout.known_hosts.write_text(f"{host} {key_type} {public_key}\n")

    layout.sshd_config.write_text(
        f"""\
# sshd of docker-hostnet lab {lab.name}; it runs inside the lab's network namespace.
Port {lab.ssh_port}
ListenAddress {lab.address}
HostKey {quote(layout.host_key)}
PidFile {quote(layout.sshd_pid)}
AuthorizedKeysFile {quote(layout.authorized_keys)}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The key files live in the lab directory, whatever its owner and mode.
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
Subsystem sftp internal-sftp
# Every session's `docker` talks to the lab's engine, not the host's, and
# HOME is the lab's (its shell start-up files, its ~/.docker).
SetEnv DOCKER_HOST={lab.docker_host} HOME={quote(layout.home)}
"""
    )
    layout.ssh_config.write_text(
        f"""\
# OpenSSH client config for docker-hostnet lab {lab.name}: ssh -F {quote(layout.ssh_config)} {lab.name}
Host {lab.name}
    HostName {lab.address}
    Port {lab.ssh_port}
    User root
    IdentityFile {quote(layout.client_key)}
    IdentitiesOnly yes
    UserKnownHostsFile {quote(layout.known_hosts)}
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    UpdateHostKeys no
    BatchMode yes
    ConnectTimeout 10
"""
    )


def quote(path: Path) -> str:
    # ssh/sshd config syntax: double quotes keep spaces; %% is a literal %.
    return '"' + str(path).replace("%", "%%") + '"'
