"""One lab model: its name rules, its kinds, the CLI's registry of it, and opening it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from hostnet.engine.errors import EnvironmentProblem, TargetError
from hostnet.engine.labs import registry
from hostnet.engine.labs.netns import layout
from hostnet.engine.labs.spec import LabSpec


@pytest.mark.parametrize("name", ["lab-01", "a", "Lab_2.example", "9", "x" * 63])
def test_good_names(name: str) -> None:
    assert LabSpec(name=name, url="ssh://root@192.0.2.1").name == name


@pytest.mark.parametrize(
    "name", ["", "x" * 64, "-oProxyCommand=x", ".hidden", "lab one", "x;touch", "lab*", "a/b", "é"]
)
def test_bad_names(name: str) -> None:
    with pytest.raises(EnvironmentProblem, match="invalid lab name") as caught:
        LabSpec.checked(name=name, url="ssh://root@192.0.2.1")
    assert (
        str(caught.value)
        .splitlines()[0]
        .endswith("1-63 letters, digits, '.', '_' or '-', starting with a letter or digit")
    )


@pytest.mark.parametrize("name", ["a", "lab-1", "t-0f3c", "z" * 15])
def test_every_netns_lab_name_is_a_lab_name(name: str) -> None:
    assert layout.NAME.fullmatch(name)
    assert LabSpec(name=name, ssh_config=Path("/x"), host=name).name == name


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give exactly one of url: ssh://user@host, ssh_config: FILE or local: true"),
        ({"url": "ssh://h", "local": True}, "(got url, local)"),
        ({"url": "ssh://h", "host": "h"}, "host: names an entry of ssh_config:, which is missing"),
        ({"url": "http://h"}, "url must look like ssh://user@host[:port], got 'http://h'"),
        ({"url": "ssh://"}, "url must look like ssh://user@host[:port], got 'ssh://'"),
        ({"local": True, "colour": "red"}, "colour: unknown setting"),
        ({"local": True, "variables": {"image": 3}}, "variables.image: Input should be a valid"),
    ],
)
def test_kinds_and_fields(fields: dict[str, object], message: str) -> None:
    with pytest.raises(EnvironmentProblem) as caught:
        LabSpec.checked(name="lab-01", **fields)
    assert message in str(caught.value)
    with pytest.raises(ValidationError):  # the bot's configuration sees the same rules
        LabSpec.model_validate({"name": "lab-01", **fields})


def test_the_registry_stores_the_same_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "labs.json"
    monkeypatch.setenv("HOSTNET_LABS_FILE", str(path))
    # A file written before the one model: url / ssh_config / host only.
    path.write_text(json.dumps({"old": {"ssh_config": "/etc/vagrant.ssh", "host": "lab-01"}}))
    assert registry.load() == {
        "old": LabSpec(name="old", ssh_config=Path("/etc/vagrant.ssh"), host="lab-01")
    }
    registry.add(LabSpec(name="web", url="ssh://vagrant@192.0.2.7:2222"))
    registry.add(LabSpec(name="dev", local=True, variables={"image": "nginx"}))
    assert json.loads(path.read_text()) == {
        "dev": {"local": True, "variables": {"image": "nginx"}},
        "old": {"ssh_config": "/etc/vagrant.ssh", "host": "lab-01"},
        "web": {"url": "ssh://vagrant@192.0.2.7:2222"},
    }
    assert registry.get("web").describe() == "ssh://vagrant@192.0.2.7:2222"
    assert registry.get("old").describe() == "/etc/vagrant.ssh (Host lab-01)"
    assert registry.remove("web") and not registry.remove("web")
    with pytest.raises(TargetError, match="no lab named 'web'"):
        registry.get("web")

    path.write_text(json.dumps({"bad name": {"local": True}}))
    with pytest.raises(EnvironmentProblem, match=f"cannot read the lab list {path}: invalid lab"):
        registry.load()
    path.write_text("[]")
    with pytest.raises(EnvironmentProblem, match="cannot read the lab list"):
        registry.load()


def test_open_local_and_failures_name_the_lab(tmp_path: Path) -> None:
    local = LabSpec(name="dev", local=True).open()
    try:
        assert local.name == "dev"
        assert local.run("echo hi", timeout=10).stdout == "hi\n"
    finally:
        local.close()

    config = tmp_path / "ssh_config"
    config.write_text("Host other\n  HostName 127.0.0.1\n")
    with pytest.raises(TargetError) as caught:
        LabSpec(name="lab-07", ssh_config=config).open()
    assert str(caught.value).startswith(f"lab lab-07: {config} has no `Host lab-07`")
    assert caught.value.hint == "its hosts: other"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(TargetError) as caught:
            LabSpec(name="lab-08", url=f"ssh://root@127.0.0.1:{port}").open()
    assert str(caught.value).startswith(f"lab lab-08 (root@127.0.0.1:{port}) is unreachable")
