"""`docker hostnet` through the real Docker CLI, on the real engine."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from tests.support.env import REPO

pytestmark = pytest.mark.docker


def docker(
    config: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args],
        env={**os.environ, "DOCKER_CONFIG": str(config), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean_error(res: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert res.returncode == code, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    for fragment in fragments:
        assert fragment in res.stderr, res.stderr


def test_metadata_is_one_json_object_and_needs_nothing_heavy(hostnet_bin: Path) -> None:
    plugin = hostnet_bin.parent / "docker-hostnet"
    res = subprocess.run(
        [str(plugin), "docker-cli-plugin-metadata"], capture_output=True, text=True, check=True
    )
    meta = json.loads(res.stdout)
    assert meta["SchemaVersion"] == "0.1.0" and meta["Vendor"] and meta["Version"]
    # The answer must not pay for Typer, rich or the docker SDK.
    code = (
        "import sys; from hostnet.plugin.main import main; main(['x', 'docker-cli-plugin-metadata']);"
        "heavy = {'typer', 'rich', 'docker', 'pydantic', 'yaml'} & set(sys.modules);"
        "sys.stderr.write(repr(sorted(heavy)))"
    )
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert probe.stderr == "[]"


def test_install_lists_the_plugin_and_uninstall_removes_it(
    docker_config: Path, hostnet_bin: Path
) -> None:
    assert "hostnet*" in docker(docker_config, "--help").stdout
    res = subprocess.run(
        [str(hostnet_bin), "uninstall"],
        env={**os.environ, "DOCKER_CONFIG": str(docker_config)},
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0 and "Removed" in res.stdout
    assert "hostnet*" not in docker(docker_config, "--help").stdout


def test_lesson_1_auto_through_docker_passes_and_leaves_nothing(
    docker_config: Path, standin_image: str, clean_host: None, docker_client
) -> None:  # type: ignore[no-untyped-def]
    containers_before = {c.id for c in docker_client.containers.list(all=True)}
    networks_before = {n.id for n in docker_client.networks.list()}
    res = docker(
        docker_config, "hostnet", "lesson", "1", "--auto", "--var", f"image={standin_image}"
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("✓") >= 12 and "✗" not in res.stdout
    assert "Lesson passed: 5 of 5 steps verified" in res.stdout
    assert {c.id for c in docker_client.containers.list(all=True)} == containers_before
    assert {n.id for n in docker_client.networks.list()} == networks_before
    assert hostprobe.listeners(80) == []
    lessons = docker(docker_config, "hostnet", "lessons")
    assert "done" in lessons.stdout.splitlines()[0]


def test_json_prints_one_event_per_line(
    docker_config: Path, standin_image: str, clean_host: None
) -> None:
    res = docker(
        docker_config,
        "hostnet",
        "lesson",
        "1",
        "--auto",
        "--json",
        "--var",
        f"image={standin_image}",
    )
    events = [json.loads(line) for line in res.stdout.splitlines()]
    assert events[0]["event"] == "lesson_started"
    assert events[-1] == {
        **events[-1],
        "event": "lesson_finished",
        "passed": True,
        "steps_passed": 5,
    }
    checks = [e["result"] for e in events if e["event"] == "check_evaluated"]
    assert checks and all(c["ok"] for c in checks)


def test_docker_global_flags_select_the_engine(
    docker_config: Path, standin_image: str, clean_host: None
) -> None:
    nowhere = "unix:///tmp/hostnet-test-no-engine.sock"
    res = docker(docker_config, "-H", nowhere, "hostnet", "lesson", "1", "--auto")
    assert_clean_error(res, 4, f"cannot reach the Docker engine at {nowhere}")
    created = docker(docker_config, "context", "create", "nowhere", "--docker", f"host={nowhere}")
    assert created.returncode == 0, created.stderr
    res = docker(docker_config, "--context", "nowhere", "hostnet", "lesson", "1", "--auto")
    assert_clean_error(res, 4, f"cannot reach the Docker engine at context 'nowhere' ({nowhere})")
    res = docker(docker_config, "--context", "missing", "hostnet", "lesson", "1", "--auto")
    assert_clean_error(res, 4, "no usable docker context 'missing'")
    # The same flags pointing at the real engine work.
    res = docker(
        docker_config, "-H", "unix:///var/run/docker.sock", "hostnet", "lesson", "1", "--auto",
        "--var", f"image={standin_image}",
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr


def test_unknown_lesson(docker_config: Path) -> None:
    assert_clean_error(
        docker(docker_config, "hostnet", "lesson", "42", "--auto"), 3, "no lesson '42'"
    )


def test_bad_var_syntax_is_a_usage_error(docker_config: Path) -> None:
    res = docker(docker_config, "hostnet", "lesson", "1", "--auto", "--var", "image")
    assert res.returncode == 2 and "NAME=VALUE" in res.stderr and "Traceback" not in res.stderr


def test_engine_not_running(docker_config: Path) -> None:
    res = docker(
        docker_config, "hostnet", "lesson", "1", "--auto", DOCKER_HOST="unix:///tmp/none.sock"
    )
    assert_clean_error(res, 4, "cannot reach the Docker engine at unix:///tmp/none.sock", "hint:")


def test_port_80_taken_names_the_process(
    docker_config: Path, standin_image: str, clean_host: None
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket,time; s=socket.socket(); s.bind(('0.0.0.0',80)); s.listen(); time.sleep(60)",
        ]
    )
    try:
        deadline = time.monotonic() + 10
        while not hostprobe.listeners(80) and time.monotonic() < deadline:
            time.sleep(0.05)
        res = docker(
            docker_config, "hostnet", "lesson", "1", "--auto", "--var", f"image={standin_image}"
        )
        assert_clean_error(res, 4, "needed: TCP port 80 is free", f"(pid {holder.pid})")
    finally:
        holder.kill()
        holder.wait()


def test_existing_my_nginx_is_reported_and_left_alone(
    docker_config: Path, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    theirs = docker_client.containers.create(standin_image, name="my_nginx")
    try:
        res = docker(
            docker_config, "hostnet", "lesson", "1", "--auto", "--var", f"image={standin_image}"
        )
        assert_clean_error(res, 4, "needed: no container named my_nginx", "docker rm -f my_nginx")
        theirs.reload()
        assert theirs.status == "created"
    finally:
        theirs.remove(force=True)


def test_image_missing_and_no_registry(docker_config: Path, clean_host: None) -> None:
    res = docker(
        docker_config,
        "hostnet",
        "lesson",
        "1",
        "--auto",
        "--var",
        "image=hostnet/no-such-image:never",
    )
    assert_clean_error(
        res, 4, "needed: image hostnet/no-such-image:never is available", "pull failed"
    )


def test_invalid_lesson_file(docker_config: Path, tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    text = (
        (REPO / "lessons" / "01-host-network.yaml")
        .read_text()
        .replace("kind: port", "kind: prot", 1)
    )
    (lessons / "01-host-network.yaml").write_text(text)
    res = docker(
        docker_config, "hostnet", "lesson", "1", "--auto", HOSTNET_LESSONS_DIR=str(lessons)
    )
    line = text.splitlines().index("  - kind: prot") + 1
    assert_clean_error(
        res,
        3,
        f"01-host-network.yaml:{line}: prerequisites[1].kind: unknown check 'prot' (did you mean 'port'?)",
    )


def hanging_lessons(tmp_path: Path) -> Path:
    """Lesson 1 whose curl step hangs (a command that never ends)."""
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    text = (REPO / "lessons" / "01-host-network.yaml").read_text()
    text = text.replace(
        "command: curl http://localhost:@{port}/", "command: sleep 300\n    timeout: 3"
    )
    (lessons / "01-host-network.yaml").write_text(text)
    return lessons


def test_a_hanging_step_is_killed_and_the_lesson_cleaned_up(
    docker_config: Path, standin_image: str, clean_host: None, tmp_path: Path
) -> None:
    started = time.monotonic()
    res = docker(
        docker_config, "hostnet", "lesson", "1", "--auto", "--var", f"image={standin_image}",
        HOSTNET_LESSONS_DIR=str(hanging_lessons(tmp_path)),
    )  # fmt: skip
    assert res.returncode == 1, res.stdout + res.stderr
    assert "still running after 3 s: killed" in res.stdout
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("via", ["hostnet", "docker"])
def test_ctrl_c_mid_step_cleans_up_and_exits_130(
    via: str,
    docker_config: Path,
    hostnet_bin: Path,
    standin_image: str,
    clean_host: None,
    tmp_path: Path,
) -> None:
    """SIGINT to `hostnet`, or to the `docker` CLI (which then closes the plugin socket)."""
    argv = [str(hostnet_bin)] if via == "hostnet" else ["docker", "hostnet"]
    proc = subprocess.Popen(
        [*argv, "lesson", "1", "--auto", "--var", f"image={standin_image}"],
        env={
            **os.environ,
            "DOCKER_CONFIG": str(docker_config),
            "HOSTNET_LESSONS_DIR": str(hanging_lessons(tmp_path)),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "$ sleep 300" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert "Interrupted after 1 of 5 steps" in out
    assert hostprobe.listeners(80) == []  # the container is gone (clean_host checks the name too)


def test_port_check_sees_the_socket_of_a_plain_process() -> None:
    """Sanity check for the probe the CLI tests rely on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert hostprobe.listeners(s.getsockname()[1])
