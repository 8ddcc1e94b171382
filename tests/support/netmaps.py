"""A network map built by hand: what the engine and the host probe would answer
for a host with nginx on the host network and a second nginx on the default
bridge (``build_map`` turns it into the model). Nothing in it needs scrubbing."""

from __future__ import annotations

import time
from typing import Any

from hostnet.engine.netmap import NetworkMap, build_map
from hostnet.engine.probes import Link, Listener, NetNamespace, NetworkView, Process
from hostnet.engine.targets import Target

HOST_PID, BRIDGE_PID, PROXY_PID = 4242, 5151, 3001
NGINX_HOST, NGINX_BRIDGE, NGINX_PUBLISHED = "my_nginx", "hn_bridge", "hn_published"
PUBLISHED_PID = 6161


def _container(name: str, mode: str, pid: int, **networks: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": f"{name[:3]}{pid}".ljust(64, "0"),
        "Name": f"/{name}",
        "Config": {"Image": "hostnet/nginx-standin:latest"},
        "State": {"Status": "running", "Pid": pid},
        "HostConfig": {"NetworkMode": mode, "PortBindings": {}},
        "NetworkSettings": {"Networks": networks, "Ports": {}},
    }


def raw_containers() -> list[dict[str, Any]]:
    host = _container(NGINX_HOST, "host", HOST_PID, host={"IPAddress": ""})
    host["HostConfig"]["PortBindings"] = {"8080/tcp": [{"HostPort": "8080"}]}
    bridge = _container(
        NGINX_BRIDGE,
        "bridge",
        BRIDGE_PID,
        bridge={"IPAddress": "172.17.0.2", "IPPrefixLen": 16, "Gateway": "172.17.0.1"},
    )
    published = _container(
        NGINX_PUBLISHED,
        "bridge",
        PUBLISHED_PID,
        bridge={"IPAddress": "172.17.0.3", "IPPrefixLen": 16, "Gateway": "172.17.0.1"},
    )
    published["NetworkSettings"]["Ports"] = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8081"}]}
    return [bridge, host, published]


def raw_networks() -> list[dict[str, Any]]:
    return [
        {
            "Name": "bridge",
            "Id": "b" * 64,
            "Driver": "bridge",
            "Options": {"com.docker.network.bridge.name": "docker0"},
            "IPAM": {"Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
        },
        {"Name": "host", "Id": "h" * 64, "Driver": "host", "IPAM": {"Config": []}},
        {"Name": "none", "Id": "n" * 64, "Driver": "null", "IPAM": {"Config": []}},
    ]


def _listen(proto: str, address: str, port: int, *owners: tuple[int, str]) -> Listener:
    return Listener(
        proto, address, port, 1000 + port, tuple(Process(p, n) for p, n in owners), True
    )


def view() -> NetworkView:
    host_links = (
        Link("lo", 1, None, ("127.0.0.1/8", "::1/128"), state="UNKNOWN"),
        Link("eth0", 2, None, ("192.0.2.10/24", "fe80::1/64"), state="UP"),
        Link("docker0", 3, "bridge", ("172.17.0.1/16",), state="UP"),
        Link("veth1a2b3c4", 11, "veth", (), master="docker0", peer_index=10),
        Link("veth5d6e7f8", 13, "veth", (), master="docker0", peer_index=12),
    )
    host = NetNamespace(
        pid=None,
        inode=4026531840,
        links=host_links,
        listeners=(
            _listen("tcp", "0.0.0.0", 80, (HOST_PID + 1, "nginx")),
            _listen("tcp6", "::", 80, (HOST_PID + 1, "nginx")),
            _listen("tcp", "127.0.0.1", 631, (800, "cupsd")),
            _listen("tcp", "0.0.0.0", 22, (700, "sshd")),
            _listen("tcp", "0.0.0.0", 8081, (PROXY_PID, "docker-proxy")),
        ),
    )
    bridge = NetNamespace(
        pid=BRIDGE_PID,
        inode=4026532500,
        links=(
            Link("lo", 1, None, ("127.0.0.1/8",)),
            Link("eth0", 10, "veth", ("172.17.0.2/16",), peer_index=11),
        ),
        listeners=(_listen("tcp", "0.0.0.0", 80, (BRIDGE_PID, "nginx")),),
    )
    published = NetNamespace(
        pid=PUBLISHED_PID,
        inode=4026532600,
        links=(
            Link("lo", 1, None, ("127.0.0.1/8",)),
            Link("eth0", 12, "veth", ("172.17.0.3/16",), peer_index=13),
        ),
        listeners=(_listen("tcp", "0.0.0.0", 80, (PUBLISHED_PID, "nginx")),),
    )
    roots = {HOST_PID + 1: HOST_PID, BRIDGE_PID: BRIDGE_PID, PUBLISHED_PID: PUBLISHED_PID}
    return NetworkView((host, bridge, published), {**roots, 800: None, 700: None, PROXY_PID: None})


def sample_map() -> NetworkMap:
    return build_map("local", raw_containers(), raw_networks(), view())


def start_pair(target: Target, image: str, suffix: str) -> tuple[str, str]:
    """Real ones on ``target``: nginx on the host network and nginx on the default
    bridge, both serving (the caller removes them)."""
    host, bridge = f"hn_map_h_{suffix}", f"hn_map_b_{suffix}"
    for name, network in ((host, "host"), (bridge, "bridge")):
        res = target.run(
            f"docker run -d --rm --network {network} --name {name} {image}", timeout=120
        )
        assert res.ok, res.output
    deadline = time.monotonic() + 20
    while not any(p.name == "nginx" for s in target.listeners(80) for p in s.processes):
        assert time.monotonic() < deadline, "nginx never listened on the host's port 80"
        time.sleep(0.2)
    return host, bridge
