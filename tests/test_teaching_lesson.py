"""A lesson using every teaching power of the format passes `--auto`, locally and
on a netns lab, and fails when its challenge's command does nothing: the
challenge is judged by the state it leaves, not by the command's success."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from tests.support.cli import hostnet
from tests.support.lessons import EVERY_FIELD_LESSON, EVERY_FIELD_SOLUTION

NAMES = ("hn_every", "hn_every_start")


def _lessons(tmp_path: Path, challenge: str) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "91-every-field.yaml").write_text(EVERY_FIELD_LESSON.replace("CHALLENGE", challenge))
    return folder


@pytest.mark.parametrize("where", ["local", "lab"])
@pytest.mark.parametrize("solved", [True, False], ids=["solution", "true"])
def test_every_new_field_passes_auto_and_a_do_nothing_challenge_fails(
    where: str,
    solved: bool,
    tmp_path: Path,
    hostnet_bin: Path,
    standin_image: str,
    docker_client: object,
    request: pytest.FixtureRequest,
) -> None:
    env = {
        "HOSTNET_LESSONS_DIR": str(
            _lessons(tmp_path, EVERY_FIELD_SOLUTION if solved else '"true"')
        ),
        "HOSTNET_LABS_FILE": str(tmp_path / "labs.json"),
    }
    on: tuple[str, ...] = ()
    if where == "lab":
        lab = request.getfixturevalue("netns_labs")()
        added = hostnet(hostnet_bin, "lab", "add", lab.name, "--ssh-config", str(lab.ssh_config), env=env)  # fmt: skip
        assert added.returncode == 0, added.stderr
        on = ("--lab", lab.name)
    run = hostnet(
        hostnet_bin, "lesson", "91", "--auto", *on,
        "--var", f"image={standin_image}", "--var", f"probe_image={standin_image}", env=env,
    )  # fmt: skip
    shown = run.stdout + run.stderr
    if solved:
        assert run.returncode == 0, shown
        assert "Lesson passed" in shown
        # Each power left its mark: the setup's state judged from outside, the
        # namespace evidence, the map after the challenge.
        assert "refuses connections from outside" in shown
        assert "shares the host's net namespace" in shown and "net:[" in shown
        assert "has a uts namespace of its own" in shown
        assert "answers from outside" in shown
        assert "hn_every · host network" in shown  # the map, drawn after the challenge
    else:
        assert run.returncode == 1, shown
        assert "Lesson passed" not in shown
        assert "hn_every_start" in shown  # the evidence: the starting container is still there
    # Nothing is left behind either way: cleanup removed both containers.
    if where == "local":
        from docker.errors import NotFound

        for name in NAMES:
            with pytest.raises(NotFound):
                docker_client.containers.get(name)  # type: ignore[attr-defined]
        assert hostprobe.listeners(80) == [] and hostprobe.listeners(8091) == []
