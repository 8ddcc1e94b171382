"""The network map in a terminal: golden files at 80 and 120 columns (`pytest
--update-golden` rewrites them), from a map built by hand, so nothing needs
scrubbing; and what the boxes must show, whatever the width."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from hostnet.engine import events as ev
from hostnet.plugin.mapview import draw_map
from hostnet.plugin.render import TerminalRenderer
from tests.support.netmaps import NGINX_BRIDGE, NGINX_HOST, sample_map

GOLDEN = Path(__file__).parent / "golden"


def drawn(width: int) -> str:
    buffer = io.StringIO()
    draw_map(Console(file=buffer, width=width, color_system=None), sample_map())
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


@pytest.mark.parametrize("width", [80, 120])
def test_golden(width: int, request: pytest.FixtureRequest) -> None:
    rendered = drawn(width)
    path = GOLDEN / f"map-{width}.txt"
    if request.config.getoption("--update-golden"):
        path.write_text(rendered)
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert rendered == path.read_text(), f"{path} differs: run pytest --update-golden"


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_the_picture_at_any_width(width: int) -> None:
    lines = drawn(width).splitlines()
    assert all(len(line) <= min(width, 140) for line in lines), "wider than the terminal"
    host_top = next(i for i, line in enumerate(lines) if line.startswith("╭─ Host local"))
    host_bottom = next(i for i, line in enumerate(lines) if line.startswith("╰"))
    in_host = lines[host_top : host_bottom + 1]
    below = lines[host_bottom + 1 :]
    # nginx on the host network: a box inside the host's box, owning port 80.
    nginx_top = next(
        i for i, line in enumerate(in_host) if f"╭─ {NGINX_HOST} · host network" in line
    )
    nginx = in_host[
        nginx_top : next(i for i in range(nginx_top, len(in_host)) if "╰" in in_host[i][2:]) + 1
    ]
    assert all(line.startswith("│ ") for line in nginx)
    assert any("tcp 0.0.0.0:80" in line and "nginx (pid 4243)" in line for line in nginx)
    # The bridge container: its own box below, under docker0, joined by its veth pair.
    assert not any(NGINX_BRIDGE in line and "╭─" in line for line in in_host)
    bridge_line = next(
        i for i, line in enumerate(below) if line.strip().startswith("docker0 (bridge")
    )
    veth = next(i for i, line in enumerate(below) if "veth1a2b3c4 ══ veth pair ══ eth0" in line)
    box = next(i for i, line in enumerate(below) if f"╭─ {NGINX_BRIDGE} · bridge network" in line)
    assert bridge_line < veth < box
    assert "on the bridge at 172.17.0.2" in "".join(below[box:])
    assert "peer of eth0 of hn_bridge" in "".join(in_host)  # the host end, in the host's box


def test_the_lesson_renderer_draws_the_event() -> None:
    buffer = io.StringIO()
    renderer = TerminalRenderer(Console(file=buffer, width=80, color_system=None))
    renderer(ev.NetworkMapped("run", 1, sample_map()))
    assert f"╭─ {NGINX_HOST} · host network" in buffer.getvalue()
    renderer(ev.NetworkMapped("run", 1, None, "lab lab-01: lost the SSH connection"))
    assert (
        "The network map could not be read: lab lab-01: lost the SSH connection"
        in buffer.getvalue()
    )
