"""A lab host made from a network namespace: no VM, just a few processes.

A lesson's "lab" is normally another machine reached over SSH. CI machines
cannot boot VMs, so this package builds something that looks the same from the
far end of an SSH connection, on one Linux machine (as root)::

    host network namespace            lab network namespace NAME
    hn-<slot>-h 10.213.<slot>.1/24 ==veth== eth0 10.213.<slot>.2/24, lo
                                      sshd    listening on 10.213.<slot>.2:22
                                      dockerd docker0 172.30.<slot>.1/24

Design notes:

* Only the network is separate. dockerd and sshd share the host's files, PIDs
  and cgroups, which is all a lesson about *host networking* needs: a container
  on the lab engine's ``host`` network binds its ports in the lab's namespace,
  so they answer on the lab's address and never on the host's own ports.
* Daemons start with ``nsenter --net=/var/run/netns/NAME …``, not ``ip netns
  exec NAME …``: the latter also makes a new mount namespace, remounts /sys
  for the network namespace (hiding the host's cgroup mounts, which dockerd
  and runc need) and binds files from /etc/netns/NAME over /etc. nsenter
  switches the network namespace and nothing else.
* dockerd gets everything of its own: ``--data-root`` and ``--pidfile`` in the
  lab directory, an empty ``--config-file`` (so /etc/docker/daemon.json does
  not leak in), a ``--bip`` unlike the host's docker0, and ``--exec-root`` and
  its API socket in /run/docker-hostnet/labs/NAME: unix socket paths are
  limited to 108 bytes, which containerd's sockets under a deep lab directory
  (pytest's tmp_path, say) would exceed.
* sshd uses generated ed25519 keys. The generated client config pins the
  lab's host key (StrictHostKeyChecking yes, its own known_hosts file), and
  sshd's ``SetEnv DOCKER_HOST=…`` makes ``docker`` in every session talk to the
  lab's engine, never to the host's.
* The lab has no default route: from inside it only the host's end of the veth
  is reachable, so nothing a lesson does there sends traffic anywhere else.
* ``lab.json`` in the lab directory is written before anything else is made,
  and the runtime directory holds an ``owner`` file naming the lab directory,
  so a crashed or half-made lab can always be found and removed. up() and
  down() are serialised by a lock file and are idempotent.
* No module reads the environment at import: the default base directory
  (``$HOSTNET_LAB_DIR``) is read by :func:`default_base` at each call.
* down() leaves nothing: it removes the lab engine's containers, stops sshd and
  dockerd (SIGTERM, then SIGKILL), kills whatever else belongs to the lab (a
  command line naming a lab path — containerd, shims —, or a process in the
  lab's network namespace, and all their descendants), unmounts what dockerd
  left under the lab's paths, deletes the veth and the namespace and removes
  the files.

Modules: ``layout`` (names, paths, addresses), ``state`` (lab.json, the lock),
``network`` (slot, namespace, veth), ``daemons`` (dockerd, sshd, images),
``ssh_files``, ``processes`` (running tools, finding a lab's processes),
``teardown``, and ``lifecycle`` (up, down, get, list_labs).
"""

from __future__ import annotations

from .layout import NETNS_DIR, RUN_BASE, SSHD, NetnsLab, default_base
from .lifecycle import down, get, list_labs, up
from .processes import lab_processes

__all__ = [
    "NETNS_DIR",
    "RUN_BASE",
    "SSHD",
    "NetnsLab",
    "default_base",
    "down",
    "get",
    "lab_processes",
    "list_labs",
    "up",
]
