"""What each start imports (behaviour, not timing: bench/startup.py measures).

Completion runs the program on every Tab and ``--help`` on every glance: neither
loads the engine, the lesson model (pydantic), YAML or Rich's console (zsh's
completion shows help texts, which Typer renders with Rich: plugin/shims.py
answers the plain ones, looking at most into Rich's emoji table). ``hostnet lessons``
lists from the cached lesson headers without Typer, YAML or pydantic, and says
exactly what the full loader would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostnet.engine.loader import load_all
from tests.support.cli import hostnet

HEAVY = {"pydantic", "yaml", "rich", "docker", "paramiko", "hostnet.engine.loader"}


def modules_after(args: list[str], env: dict[str, str]) -> set[str]:
    """The modules one run of the CLI imported (its output goes to /dev/null)."""
    code = (
        "import os, sys\n"
        "from hostnet.plugin.main import main\n"
        "out = os.dup(1); os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
        f"try:\n    main({['hostnet', *args]!r})\nexcept SystemExit:\n    pass\n"
        "os.dup2(out, 1); print(repr(sorted(sys.modules)))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(eval(res.stdout.strip().splitlines()[-1]))  # a list of names we printed


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HOSTNET_PROGRESS_DB": str(tmp_path / "p.sqlite"), "NO_COLOR": "1"}


def test_completion_imports_nothing_of_the_engine(env: dict[str, str]) -> None:
    for shell in ({"_HOSTNET_COMPLETE": "complete_bash", "COMP_WORDS": "hostnet les", "COMP_CWORD": "1"},
                  {"_HOSTNET_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "hostnet lesson --"}):  # fmt: skip
        loaded = modules_after([], {**env, **shell})
        assert "typer" in loaded  # (it did run the app)
        assert not {m for m in loaded if m.startswith("hostnet.engine")}, sorted(loaded)
        # zsh shows each option's help: Typer itself renders it with Rich.
        allowed = {"rich"} if shell["_HOSTNET_COMPLETE"] == "complete_zsh" else set()
        assert not (HEAVY - allowed) & loaded, sorted(HEAVY & loaded)
        rich = {m for m in loaded if m == "rich" or m.startswith(("rich.", "typer.rich"))}
        assert rich <= {"rich", "rich._extension", "rich._emoji_replace", "rich._emoji_codes"}, rich


def test_completion_still_completes(hostnet_bin: Path, env: dict[str, str]) -> None:
    res = hostnet(hostnet_bin, env={**env, "_HOSTNET_COMPLETE": "complete_bash",
                                     "COMP_WORDS": "hostnet les", "COMP_CWORD": "1"})  # fmt: skip
    assert res.returncode == 0 and res.stdout.split() == ["lessons", "lesson"], res


def test_help_imports_no_lesson_model_and_no_rich(env: dict[str, str]) -> None:
    for args in (["--help"], ["lesson", "--help"], ["lab", "--help"]):
        loaded = modules_after(args, env)
        assert not {m for m in loaded if m.startswith("hostnet.engine")}, args
        assert not HEAVY & loaded, (args, sorted(HEAVY & loaded))


def test_lessons_from_the_cache_needs_neither_typer_nor_the_model(env: dict[str, str]) -> None:
    modules_after(["lessons"], env)  # the first run fills the cache
    for args in (["lessons"], ["lessons", "--json"]):
        loaded = modules_after(args, env)
        assert not {"typer", "pydantic", "yaml", "hostnet.engine.loader"} & loaded, args


def test_lessons_says_what_the_loader_says_by_either_path(
    hostnet_bin: Path, env: dict[str, str]
) -> None:
    listed = json.loads(hostnet(hostnet_bin, "lessons", "--json", env=env).stdout)
    expected = [(x.number, x.id, x.title, x.duration_minutes, len(x.steps)) for x in load_all()]
    got = [(x["number"], x["id"], x["title"], x["duration_minutes"], x["steps"]) for x in listed]
    assert got == expected
    assert {x["status"] for x in listed} == {"not started"}
    cached = hostnet(hostnet_bin, "lessons", env=env)  # cache warm, without Typer
    through_typer = hostnet(hostnet_bin, "--debug", "lessons", env=env)
    assert cached.returncode == through_typer.returncode == 0
    assert cached.stdout == through_typer.stdout
    assert cached.stdout.splitlines()[0].split()[:2] == ["1", load_all()[0].title.split()[0]]


def test_lessons_with_an_invalid_lesson_is_the_same_clean_error(
    hostnet_bin: Path, env: dict[str, str], tmp_path: Path
) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01-broken.yaml").write_text("format_version: 1\nid: broken\n")
    more = {**env, "HOSTNET_LESSONS_DIR": str(lessons)}
    fast = hostnet(hostnet_bin, "lessons", env=more)
    typer = hostnet(hostnet_bin, "--debug", "lessons", env=more)
    assert fast.returncode == typer.returncode == 3, fast.stderr
    assert fast.stderr == typer.stderr and "01-broken.yaml" in fast.stderr
    assert "Traceback" not in fast.stderr


def test_lesson_auto_runs_without_typer_and_says_what_typer_says(
    hostnet_bin: Path, env: dict[str, str]
) -> None:
    """``lesson N --auto`` as scripts run it skips the Typer app (``--debug`` before
    the command still goes through Typer): the same output and exit code either way."""
    nowhere = {**env, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # stops at the engine
    args = ["lesson", "1", "--auto", "--var", "image=hostnet/nginx-standin:latest"]
    loaded = modules_after(args, nowhere)
    assert "hostnet.engine.session" in loaded  # (it did run the lesson)
    assert not {m for m in loaded if m == "typer" or m.startswith(("typer.", "click"))}, args
    for more, missing in ((args, nowhere), (["lesson", "99", "--auto"], env),
                          (["lesson", "1", "--auto", "--var", "imgae=x"], env)):  # fmt: skip
        quick = hostnet(hostnet_bin, *more, env=missing)
        typer = hostnet(hostnet_bin, "--debug", *more, env=missing)
        assert quick.returncode == typer.returncode != 0, quick
        assert (quick.stdout, quick.stderr) == (typer.stdout, typer.stderr)


@pytest.mark.parametrize(
    ("args", "quick"),
    [
        (["lesson", "1", "--auto"], ("1", [])),
        (
            ["lesson", "host-network", "--auto", "--var", "a=b", "--var", "c="],
            ("host-network", ["a=b", "c="]),
        ),
        (["lesson", "1"], None),  # interactive
        (["lesson", "1", "--json"], None),
        (["lesson", "--auto", "1"], None),  # another order: Typer's to parse
        (["lesson", "-1", "--auto"], None),
        (["lesson", "1", "--auto", "--help"], None),
        (["lesson", "1", "--auto", "--var"], None),
        (["lesson", "1", "--auto", "--var", "noeq"], None),  # Typer's usage error
        (["lesson", "1", "--auto", "--var", "=x"], None),
        (["lesson", "1", "--auto", "--var", "--debug"], None),
        (["lesson", "1", "--auto", "--lab", "lab-01"], None),
        (["lesson", "1", "--auto", "--var=a=b"], None),
        (["--debug", "lesson", "1", "--auto"], None),
        (["check", "1", "--auto"], None),
    ],
)
def test_the_quick_form_is_only_the_plain_one(
    args: list[str], quick: tuple[str, list[str]] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hostnet.plugin.lessonrun import quick_form

    monkeypatch.delenv("_HOSTNET_COMPLETE", raising=False)
    assert quick_form(args) == quick
    monkeypatch.setenv("_HOSTNET_COMPLETE", "complete_bash")  # completion: always Typer's
    assert quick_form(args) is None
