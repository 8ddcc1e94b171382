"""Lab hosts: where lessons run over SSH.

``spec``: :class:`~.spec.LabSpec`, the one model of a lab (an SSH URL, an
OpenSSH config and host, or this machine) and the one way to open it.
``registry``: the CLI's labs by name (``lab add``, ``--lab NAME``).
``netns``: a lab made from a network namespace on this Linux machine, with its
own Docker engine and sshd (no VM needed, so it works on CI machines).
``vm``: a lab VM booted with qemu from a locally built image (scripts/vm-lab.sh).
"""
