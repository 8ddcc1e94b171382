"""The network map in words: the alt text of its picture, and short labels the
drawings share (so the terminal, the PNG and the text never disagree)."""

from __future__ import annotations

from .model import Container, NetworkMap, Socket

ALT_LIMIT = 1000  # Slack refuses a longer alt text (alt_txt_too_large)

REACH_TEXT = {
    "loopback": "loopback only",
    "host": "on the host's addresses",
    "bridge": "on the bridge",
    "unknown": "reach unknown",
}


def network_text(c: Container) -> str:
    """``host network``, ``bridge network``, ``container:web``."""
    return c.network_mode if ":" in c.network_mode else f"{c.network_mode} network"


def where_text(c: Container) -> str:
    """The namespace it is in: ``the host's namespace, no address of its own``."""
    if c.namespace == "host":
        return "the host's namespace, no address of its own"
    if c.namespace == "own":
        return "its own namespace"
    return f"{c.namespace}'s namespace"


def mode_text(c: Container) -> str:
    """``host network: the host's namespace, no address of its own``."""
    return f"{network_text(c)}: {where_text(c)}"


def reach_text(s: Socket) -> str:
    """``on the host's addresses (192.0.2.2, 172.17.0.1)``, ``loopback only``."""
    text = REACH_TEXT[s.reach]
    if s.reach == "bridge" and s.via:
        text = f"on the bridge at {', '.join(s.via)}"
    elif s.reach == "host" and s.via:
        text += f" ({', '.join(s.via[:4])}{', …' if len(s.via) > 4 else ''})"
    if s.forwards_to:
        text += f", forwards to {s.forwards_to}"
    return text


def socket_text(s: Socket) -> str:
    """``tcp 0.0.0.0:80 nginx (pid 12)``."""
    return f"{s.proto} {s.endpoint} {s.owner_text}"


def describe(m: NetworkMap, limit: int = ALT_LIMIT) -> str:
    """The map in sentences: each container, its network mode and addresses, and
    who owns which port; cut to ``limit`` characters at a sentence's end."""
    sentences = [f"Network map of {m.target}."]
    host_net = [c.name for c in m.containers if c.on_host_network]
    if host_net:
        sentences.append(
            f"Inside the host's network namespace, on the host network: {', '.join(host_net)}."
        )
    for c in m.containers:
        if c.on_host_network:
            continue
        where = ", ".join(
            f"{a.address} on {a.bridge or a.network}" for a in c.attachments if a.address
        )
        veth = "; ".join(
            f"veth {v.container_end} to {v.host_end or 'a host end'} on {v.bridge}"
            for v in c.veths
            if v.bridge
        )
        parts = [f"Container {c.name}: {mode_text(c)}", where, veth]
        sentences.append(", ".join(p for p in parts if p) + ".")
    for s in _interesting(m):
        of = f" of container {s.container}" if s.container else ""
        if s.owners:
            owner = f"is owned by {', '.join(s.owner_names)}{of}"
        elif not s.owners_visible:
            owner = "has an owner hidden without root"
        else:
            owner = "has no owning process in view"
        sentences.append(f"Port {s.port}/{s.proto} {owner}, {reach_text(s)}.")
    text = ""
    for sentence in sentences:
        if len(text) + len(sentence) + 1 > limit:
            break
        text = f"{text} {sentence}".strip()
    return text


def _interesting(m: NetworkMap) -> list[Socket]:
    """Containers' sockets first, then the host's own (all of them, as room allows)."""
    return sorted(m.sockets, key=lambda s: (s.container is None, s.port, s.proto))
