"""Open the engine target of a configured lab: an SSH host, or this machine.

The bot never builds a command line for a lab itself: the target runs the
lesson's own commands (chosen by step id) and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from hostnet.engine.targets import LocalTarget, Target

from .config import LabConfig

OpenTarget = Callable[[LabConfig], Target]


def open_target(lab: LabConfig) -> Target:
    """One connection per lab, reused for every step (the service caches it).

    Raises :class:`~hostnet.engine.errors.TargetError` when an SSH lab cannot
    be reached.
    """
    if lab.local:
        local = LocalTarget()
        local.name = lab.name
        return local
    from hostnet.engine.ssh import SSHTarget  # paramiko: imported only for SSH labs

    return SSHTarget.open(lab.name, url=lab.url, ssh_config=lab.ssh_config, host=lab.host)
