"""A map: true step in a Slack thread: the picture is uploaded after the result,
through the Web API's file upload (the fake records the bytes), as a valid PNG
whose alt text names the containers, their network modes and who owns port 80."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from hostnet.bot.picture import map_graph, map_png
from hostnet.bot.testing.requests import ALICE, CHANNEL
from hostnet.engine.netmap.words import describe
from tests.support.netmaps import NGINX_BRIDGE, NGINX_HOST, sample_map
from tests.support.png import png_size

LESSON = """\
format_version: 1
id: picture
number: 1
title: A picture of the network
summary: Two nginx on two networks, and the map of both.
variables:
  image: {default: nginx}
  host_name: {default: hn_map_host}
  bridge_name: {default: hn_map_bridge}
steps:
  - id: run
    title: Start two nginx
    explanation: One on the host network, one on the default bridge network.
    command: >-
      docker run -d --rm --network host --name @{host_name} @{image} &&
      docker run -d --rm --network bridge --name @{bridge_name} @{image}
    timeout: 120
    map: true
    checks:
      - {kind: container, name: "@{host_name}", network_mode: host}
      - {kind: container, name: "@{bridge_name}", network_mode: bridge, ip_address: any}
      - {kind: port, port: 80, process: nginx}
cleanup:
  - docker rm -f @{host_name} @{bridge_name}
"""


def lessons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-picture.yaml").write_text(LESSON)
    monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(folder))


@pytest.mark.docker
def test_the_map_is_posted_in_the_thread_as_a_png(
    make_bot, fake_slack, tmp_path: Path, monkeypatch, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    lessons(tmp_path, monkeypatch)
    suffix = secrets.token_hex(3)
    host_name, bridge_name = f"hn_map_host_{suffix}", f"hn_map_bridge_{suffix}"
    bot = make_bot(
        variables={"image": standin_image, "host_name": host_name, "bridge_name": bridge_name}
    )
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)
    result = bot.run_step(ALICE)
    assert "✓ *Step 1 passed*" in result.text(), result.text()

    [upload] = fake_slack.uploads(thread_ts=thread)
    assert upload.channel == CHANNEL and upload.data is not None
    (tmp_path / "map.png").write_bytes(upload.data)  # (kept with the test's files)
    width, height = png_size(upload.data)
    assert width > 200 and height > 100
    alt = upload.alt_txt or ""
    assert len(alt) <= 1000
    on_host = next(x for x in alt.split(". ") if x.startswith("Inside the host's network"))
    assert host_name in on_host, alt  # (other host-network containers may run here too)
    assert f"Container {bridge_name}: bridge network: its own namespace" in alt, alt
    assert f"Port 80/tcp is owned by nginx of container {host_name}" in alt, alt
    assert upload.title == "The network of lab-01 after step 1"
    # After the result message, before the summary (the lesson's only step).
    methods = [c.method for c in fake_slack.calls]
    order = [c for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert order.index(result) < len(order) - 1
    get_url = methods.index("files.getUploadURLExternal")
    assert methods.index("files.completeUploadExternal") > get_url
    assert fake_slack.calls.index(result) < get_url
    assert not [c.name for c in docker_client.containers.list(all=True) if suffix in c.name]


def test_a_map_that_cannot_be_read_is_told_and_the_step_stands(
    make_bot, fake_slack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, echo_lessons
) -> None:  # type: ignore[no-untyped-def]
    folder = echo_lessons()
    text = (folder / "01-echo.yaml").read_text()
    (folder / "01-echo.yaml").write_text(
        text.replace("    command: echo second", "    map: true\n    command: echo second")
    )
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # the lab's engine is gone
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)
    bot.run_step(ALICE)
    result = bot.run_step(ALICE)
    assert "✓ *Step 2 passed*" in result.text()
    said = [c.text() for c in fake_slack.posts(thread_ts=thread)]
    assert any(
        "The network map could not be read: cannot reach the Docker engine" in t for t in said
    )
    assert fake_slack.uploads() == []


def test_the_upload_carries_a_png_and_its_alt_text(
    make_bot, fake_slack, tmp_path: Path, echo_lessons
) -> None:  # type: ignore[no-untyped-def]
    """The same path without Docker: the picture of a map built by hand."""
    from hostnet.bot.mapshot import post_map
    from hostnet.engine.events import NetworkMapped

    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    session = bot.bot.parts.core.store.open_session(ALICE)
    assert session is not None
    post_map(bot.bot.parts.core, session, NetworkMapped("first", 1, sample_map()))
    [upload] = fake_slack.uploads(thread_ts=bot.thread_of(ALICE))
    assert upload.data is not None and upload.filename == "network-step-1.png"
    (tmp_path / "uploaded-map.png").write_bytes(upload.data)
    assert png_size(upload.data)[0] > 400
    assert upload.alt_txt == describe(sample_map())
    for name in (NGINX_HOST, NGINX_BRIDGE):
        assert name in upload.alt_txt


def test_slack_refusing_the_upload_is_told(
    make_bot, fake_slack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, echo_lessons
) -> None:  # type: ignore[no-untyped-def]
    from hostnet.bot.mapshot import post_map
    from hostnet.engine.events import NetworkMapped

    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    fake_slack.errors["files.getUploadURLExternal"] = "missing_scope"
    session = bot.bot.parts.core.store.open_session(ALICE)
    assert session is not None
    post_map(bot.bot.parts.core, session, NetworkMapped("first", 1, sample_map()))
    said = [c.text() for c in fake_slack.posts(thread_ts=bot.thread_of(ALICE))]
    assert any("I could not share the network map here (missing_scope)" in t for t in said)


def test_the_picture_is_drawn_from_the_model(tmp_path: Path) -> None:
    m = sample_map()
    source = map_graph(m).source
    host = source.split("subgraph cluster_host {", 1)[1]
    assert f'label="{NGINX_HOST}: host network' in host.split("\n}\n", 1)[0]  # inside the host's
    assert f'label="{NGINX_BRIDGE}: bridge network: its own namespace"' in source
    assert 'label="veth pair"' in source
    png = map_png(m)
    (tmp_path / "sample-map.png").write_bytes(png)
    assert png_size(png)[0] > 400
    assert NGINX_BRIDGE in describe(m)
