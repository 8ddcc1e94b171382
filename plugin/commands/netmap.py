"""``map``: the live network picture of this machine or a lab."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..context import LabOption, TargetOption, make_target, out


def register(app: typer.Typer) -> None:
    @app.command("map")
    def network_map(
        lab: LabOption = None,
        target_url: TargetOption = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the map as JSON (the model) instead.")
        ] = False,
    ) -> None:
        """Draw the network as it is now: namespaces, bridges, veth pairs, who owns which port.

        The outer box is the host's network namespace: its interfaces and their
        addresses, docker0 and any other bridge, and every container started with
        --network host, drawn inside it because it shares the host's namespace
        (no address and no interface of its own). Below the box, each bridge with
        its containers: each has a namespace of its own, joined to the bridge by a
        veth pair, eth0 inside and its peer on the host.

        Each listening socket shows the process that owns it, its container, and
        where it can be reached from: loopback only, the host's addresses, or the
        bridge (a container's own address).

        Nothing runs inside your containers. Without root, socket owners and the
        interfaces inside containers are hidden, and the map says so.
        """
        from hostnet.engine.netmap import read_map

        from ..mapview import draw_map

        target = make_target(lab, target_url)
        try:
            picture = read_map(target)
        finally:
            target.close()
        if as_json:
            sys.stdout.write(json.dumps(picture.to_dict(), indent=2) + "\n")
        else:
            draw_map(out, picture)
