"""The network map built from what an engine and the host probe answer (pure: no
engine needed), its words, its JSON, and what a non-root reader is left with."""

from __future__ import annotations

import dataclasses
import json

from hostnet.engine import events as ev
from hostnet.engine.netmap import Owner, build_map
from hostnet.engine.netmap.words import ALT_LIMIT, describe
from hostnet.engine.probes import NetNamespace
from tests.support.netmaps import (
    BRIDGE_PID,
    NGINX_BRIDGE,
    NGINX_HOST,
    NGINX_PUBLISHED,
    raw_containers,
    raw_networks,
    sample_map,
    view,
)


def test_host_network_containers_share_the_hosts_namespace() -> None:
    m = sample_map()
    nginx = m.container(NGINX_HOST)
    assert nginx is not None and nginx.on_host_network and nginx.netns == m.netns
    assert nginx.addresses == () and nginx.veths == () and nginx.interfaces == ()
    assert nginx.ignored_ports == ("8080/tcp",)  # -p with --network host: discarded
    # Host-network containers come first; then the others by name.
    assert [c.name for c in m.containers] == [NGINX_HOST, NGINX_BRIDGE, NGINX_PUBLISHED]


def test_nginx_owns_port_80_of_the_host_reachable_on_its_addresses() -> None:
    m = sample_map()
    port80 = [s for s in m.sockets_in("host") if s.port == 80]
    assert [(s.proto, s.container, [o.name for o in s.owners]) for s in port80] == [
        ("tcp", NGINX_HOST, ["nginx"]),
        ("tcp6", NGINX_HOST, ["nginx"]),
    ]
    assert port80[0].reach == "host" and port80[0].via == ("192.0.2.10", "172.17.0.1")
    assert "fe80::1" not in port80[1].via  # link-local addresses are not "the host's"
    loopback = next(s for s in m.sockets if s.port == 631)
    assert (loopback.reach, loopback.container, loopback.via) == ("loopback", None, ())


def test_bridge_containers_have_their_own_namespace_and_veth_pair() -> None:
    m = sample_map()
    bridge = m.container(NGINX_BRIDGE)
    assert bridge is not None and bridge.namespace == "own" and bridge.netns == 4026532500
    assert bridge.addresses == ("172.17.0.2/16",)
    veth = bridge.veths[0]
    assert (veth.container_end, veth.host_end, veth.bridge) == ("eth0", "veth1a2b3c4", "docker0")
    assert m.bridges[0].interface == "docker0" and m.bridges[0].network == "bridge"
    assert m.bridges[0].ports == ("veth1a2b3c4", "veth5d6e7f8")
    inside = m.sockets_in(NGINX_BRIDGE)
    assert [(s.endpoint, s.container, s.reach, s.via) for s in inside] == [
        ("0.0.0.0:80", NGINX_BRIDGE, "bridge", ("172.17.0.2",))
    ]


def test_a_published_port_is_forwarded_by_the_host() -> None:
    m = sample_map()
    published = m.container(NGINX_PUBLISHED)
    assert published is not None and published.published == ("0.0.0.0:8081->80/tcp",)
    proxy = next(s for s in m.sockets if s.port == 8081)
    assert proxy.namespace == "host" and proxy.forwards_to == f"{NGINX_PUBLISHED}:80"


def test_without_root_the_map_degrades_with_notes() -> None:
    """Not root: another user's namespace inode, interfaces and socket owners are
    hidden. The map still places every container and says what it could not read."""
    whole = view()
    hidden = [
        dataclasses.replace(
            ns, inode=None, links=None, problem="cannot read its interfaces (run as root)"
        )
        if ns.pid is not None
        else ns
        for ns in whole.namespaces
    ]
    hidden = [
        dataclasses.replace(
            ns,
            listeners=tuple(dataclasses.replace(s, processes=(), owners_visible=False) for s in ns.listeners),
        )
        for ns in hidden
    ]  # fmt: skip
    m = build_map(
        "lab-01",
        raw_containers(),
        raw_networks(),
        dataclasses.replace(whole, namespaces=tuple(hidden), roots={}),
    )
    bridge = m.container(NGINX_BRIDGE)
    assert bridge is not None and bridge.netns is None and bridge.interfaces == ()
    assert [(v.host_end, v.bridge) for v in bridge.veths] == [(None, "docker0")]
    assert bridge.addresses == ("172.17.0.2/16",)  # from the engine, which needs no root
    assert any(NGINX_BRIDGE in note and "run as root" in note for note in m.notes)
    assert any("hidden from non-root users" in note for note in m.notes)
    assert all(s.owner_text == "owner hidden (needs root)" for s in m.sockets)


def test_a_namespace_gone_meanwhile_is_no_crash() -> None:
    whole = view()
    gone = NetNamespace(pid=BRIDGE_PID, inode=None, links=None, listeners=(), problem="no process")
    spaces = tuple(gone if ns.pid == BRIDGE_PID else ns for ns in whole.namespaces)
    m = build_map(
        "local", raw_containers(), raw_networks(), dataclasses.replace(whole, namespaces=spaces)
    )
    assert m.container(NGINX_BRIDGE) is not None and m.sockets_in(NGINX_BRIDGE) == ()


def test_a_process_and_its_workers_are_named_once() -> None:
    sock = next(s for s in sample_map().sockets if s.port == 80)
    workers = dataclasses.replace(sock, owners=(*sock.owners, Owner(4244, "nginx"), Owner(9, "x")))
    assert workers.owner_text == "nginx (pid 4243, 4244), x (pid 9)"
    assert workers.owner_names == ("nginx", "x")


def test_json_and_the_event() -> None:
    m = sample_map()
    data = json.loads(json.dumps(m.to_dict()))
    assert data["target"] == "local" and {c["name"] for c in data["containers"]} == {
        NGINX_HOST,
        NGINX_BRIDGE,
        NGINX_PUBLISHED,
    }
    event = ev.NetworkMapped("run", 1, m).to_dict()
    assert event["event"] == "network_mapped" and event["map"] == m.to_dict()
    json.dumps(event)
    assert ev.NetworkMapped("run", 1, None, "lab gone").to_dict()["problem"] == "lab gone"


def test_alt_text_names_every_container_its_mode_and_who_owns_which_port() -> None:
    text = describe(sample_map())
    assert len(text) <= ALT_LIMIT
    for name in (NGINX_HOST, NGINX_BRIDGE, NGINX_PUBLISHED):
        assert name in text
    assert "Inside the host's network namespace, on the host network: my_nginx." in text
    assert (
        "Container hn_bridge: bridge network: its own namespace, 172.17.0.2/16 on docker0" in text
    )
    assert "Port 80/tcp is owned by nginx of container my_nginx, on the host's addresses" in text
    assert describe(sample_map(), limit=120).endswith(".")
    assert len(describe(sample_map(), limit=120)) <= 120
