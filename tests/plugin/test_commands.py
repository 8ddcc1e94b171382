"""The other `docker hostnet` commands, on the real engine, as a user types them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.support.cli import hostnet
from tests.support.env import REPO

pytestmark = pytest.mark.docker


def test_lessons_shows_progress(hostnet_bin: Path, standin_image: str, clean_host: None) -> None:
    before = json.loads(hostnet(hostnet_bin, "lessons", "--json").stdout)
    assert before[0] == {**before[0], "number": 1, "id": "host-network", "status": "not started"}
    assert (
        hostnet(hostnet_bin, "lesson", "1", "--auto", "--var", f"image={standin_image}").returncode
        == 0
    )
    after = json.loads(hostnet(hostnet_bin, "lessons", "--json").stdout)
    assert after[0]["status"] == "done"


def test_check_judges_work_done_by_hand(
    hostnet_bin: Path, standin_image: str, clean_host: None
) -> None:
    res = hostnet(hostnet_bin, "check", "1", "--step", "run")
    assert res.returncode == 1 and "✗ container my_nginx is running" in res.stdout
    subprocess.run(
        ["docker", "run", "--rm", "-d", "--network", "host", "--name", "my_nginx", standin_image],
        check=True,
        capture_output=True,
    )
    try:
        res = hostnet(hostnet_bin, "check", "1", "--step", "1")
        assert res.returncode == 0, res.stdout + res.stderr
        # netstat step: the question is what they saw; a wrong PID fails, the real one passes.
        wrong = hostnet(hostnet_bin, "check", "1", "--step", "netstat", "--answer", "1")
        assert wrong.returncode == 1 and "you answered '1'" in wrong.stdout
        master = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Pid}}", "my_nginx"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        right = hostnet(
            hostnet_bin, "check", "1", "--step", "netstat", "--answer", master, "--json"
        )
        verdict = json.loads(right.stdout)
        assert right.returncode == 0 and verdict["passed"] and verdict["step"] == "netstat"
    finally:
        subprocess.run(["docker", "rm", "-f", "my_nginx"], capture_output=True)


def test_check_unknown_step(hostnet_bin: Path) -> None:
    res = hostnet(hostnet_bin, "check", "1", "--step", "nope")
    assert res.returncode == 3 and "lesson 1 has no step 'nope'" in res.stderr


def test_show_renders_markdown(hostnet_bin: Path) -> None:
    res = hostnet(hostnet_bin, "show", "1")
    assert res.returncode == 0
    assert res.stdout.startswith("# Lesson 1: Networking using the host network\n")
    assert (
        "```console\n$ docker run --rm -d --network host --name my_nginx nginx\n```" in res.stdout
    )
    assert "$ sudo netstat -tulpn | grep :80" in res.stdout
    assert hostnet(hostnet_bin, "show", "99").returncode == 3


def test_reset_removes_what_the_lesson_made(
    hostnet_bin: Path, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(
        ["docker", "run", "-d", "--network", "host", "--name", "my_nginx", standin_image],
        check=True,
        capture_output=True,
    )
    refused = hostnet(hostnet_bin, "reset", "1")
    assert refused.returncode == 2 and "--yes" in refused.stderr  # a usage error
    assert docker_client.containers.list(filters={"name": "^my_nginx$"})
    res = hostnet(hostnet_bin, "reset", "1", "--yes")
    assert res.returncode == 0 and "Lesson 1: cleaned up" in res.stdout
    assert not docker_client.containers.list(all=True, filters={"name": "^my_nginx$"})


def test_doctor(hostnet_bin: Path, clean_host: None) -> None:
    res = hostnet(hostnet_bin, "doctor", "--json")
    findings = {f["name"]: f for f in json.loads(res.stdout)}
    assert res.returncode == 0, res.stdout
    assert findings["docker engine"]["level"] == "ok" and findings["port 80"]["detail"] == "free"
    mode = findings["engine mode"]  # this machine's engine is rootful Docker: no warning
    assert mode["level"] == "ok" and mode["detail"].startswith("rootful Docker "), mode
    broken = hostnet(hostnet_bin, "doctor", DOCKER_HOST="unix:///tmp/hostnet-none.sock")
    assert (
        broken.returncode == 4
        and "✗ docker engine" in broken.stdout
        and "Traceback" not in broken.stderr
    )


def test_validate_shipped_lessons_are_clean(hostnet_bin: Path) -> None:
    res = hostnet(hostnet_bin, "validate", str(REPO / "lessons"))
    assert res.returncode == 0, res.stderr
    assert "0 error(s), 0 warning(s)" in res.stdout


def test_validate_reports_file_and_line(hostnet_bin: Path, tmp_path: Path) -> None:
    text = (REPO / "lessons" / "01-host-network.yaml").read_text()
    broken = tmp_path / "01-broken.yaml"
    broken.write_text(text.replace("timeout: 300", "timout: 300"))
    empty_hint = tmp_path / "02-empty-hint.yaml"
    empty_hint.write_text(
        text.replace("number: 1", "number: 2").replace("id: host-network", "id: other")
        .replace("hints:\n      - Type the command", "hints:\n      - ''\n      - Type the command", 1)
        .replace("  port:\n    default: \"80\"", "  port:\n    default: \"80\"\n  unused:\n    default: x")
    )  # fmt: skip
    res = hostnet(hostnet_bin, "validate", str(broken), str(empty_hint))
    line = text.splitlines().index("    timeout: 300") + 1
    assert res.returncode == 3
    assert (
        f"01-broken.yaml:{line}: steps[0].timout: unknown field 'timout' (did you mean 'timeout'?)"
        in res.stderr
    )
    assert "02-empty-hint.yaml" in res.stderr and "hints: empty hint" in res.stderr
    assert "variables.unused: declared but never used" in res.stderr


def test_hints_hook_through_the_docker_cli(
    hostnet_bin: Path, docker_config: Path, standin_image: str
) -> None:
    (docker_config / "config.json").write_text(json.dumps({"auths": {"example": {}}}))
    env = {"DOCKER_CONFIG": str(docker_config)}
    assert hostnet(hostnet_bin, "hints", "enable", **env).returncode == 0
    config = json.loads((docker_config / "config.json").read_text())
    assert (
        config["auths"] == {"example": {}}
        and config["plugins"]["hostnet"]["hooks"] == "run,container run"
    )

    def run(*args: str) -> str:
        """In a terminal: the docker CLI runs hooks only when attached to one."""
        child = pexpect.spawn(
            "docker", ["run", "--rm", *args, standin_image, "true"],
            env={**os.environ, **env}, encoding="utf-8", timeout=60,
        )  # fmt: skip
        output = child.read()
        child.close()
        assert child.exitstatus == 0, output
        return str(output)

    host = run("--network", "host", "-p", "8080:80")
    assert "WARNING: Published ports are discarded when using host network mode" in host
    assert "What's next:" in host and "published ports are discarded" in host
    assert "What's next:" not in run("--network", "host")
    assert "What's next:" not in run("-p", "8080:80")
    assert hostnet(hostnet_bin, "hints", "disable", **env).returncode == 0
    assert "What's next:" not in run("--network", "host", "-p", "8080:80")
    config = json.loads((docker_config / "config.json").read_text())
    assert config == {"auths": {"example": {}}, "plugins": {}, "features": {"hooks": "true"}}
