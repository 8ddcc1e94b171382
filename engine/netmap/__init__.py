"""The live picture of the network: one model (:mod:`.model`), read from the live
target once (:mod:`.reader`), drawn by the front ends (the terminal's boxes, the
bot's PNG) and described in words (:mod:`.words`); :mod:`.mermaid` draws what a
lesson builds, from its checks, for ``show``."""

from __future__ import annotations

from .model import Attachment, Bridge, Container, Interface, NetworkMap, Owner, Socket, Veth
from .reader import build_map, read_map

__all__ = [
    "Attachment",
    "Bridge",
    "Container",
    "Interface",
    "NetworkMap",
    "Owner",
    "Socket",
    "Veth",
    "build_map",
    "read_map",
]
