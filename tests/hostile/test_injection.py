"""Shell injection through every input a user controls: nothing extra ever runs.

Lesson numbers and ids, ``--var`` values and names, ``--answer``, lab names and
URLs, Slack slash-command text and mentions. The only commands that run are
the lesson's own (variables shell-quoted into them); the marker file that each
attempt tries to create never appears.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostnet.bot.testing.harness import BotHarness
from hostnet.bot.testing.requests import ALICE
from hostnet.engine.commands import CommandResult
from hostnet.engine.errors import ExitCode
from hostnet.engine.events import CommandFinished
from hostnet.engine.loader import find_lesson, load_lesson
from hostnet.engine.session import LessonSession
from hostnet.engine.targets import LocalTarget
from tests.support.cli import hostnet

QUICK = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def few_attacks(marker: Path) -> list[str]:
    """A sample for the slower tests that start a process per attempt."""
    return [a for i, a in enumerate(attacks(marker)) if i in (0, 4, 5, 7, 13)]


def attacks(marker: Path) -> list[str]:
    """Ways to smuggle `touch MARKER` into a shell command line."""
    m = str(marker)
    return [
        f"1; touch {m}",
        f"1 && touch {m}",
        f"1 || touch {m}",
        f"1 | touch {m}",
        f"$(touch {m})",
        f"`touch {m}`",
        f"1\ntouch {m}",
        f"1' ; touch {m} ; '",
        f'1" ; touch {m} ; "',
        f"1 > {m}",
        f"$'\\x3b' touch {m}",
        f"\\'; touch {m} #",
        f"${{IFS}}touch${{IFS}}{m}",
        f"-c 'touch {m}'",
        f"../../../../bin/sh -c 'touch {m}'",
    ]


# ---------------------------------------------------------------------- lesson refs


def test_lesson_refs_from_the_command_line(echo_lessons, hostnet_bin, marker: Path) -> None:
    echo_lessons()
    for ref in few_attacks(marker):
        for command in (
            ["lesson", ref, "--auto"],
            ["show", ref],
            ["check", ref],
            ["reset", ref, "--yes"],
        ):
            res = hostnet(hostnet_bin, *command)
            assert res.returncode in (ExitCode.LESSON_ERROR, ExitCode.USAGE), (command, res.stderr)
            assert "Traceback" not in res.stderr and "internal error" not in res.stderr
            assert not marker.exists(), command


# ---------------------------------------------------------------------- --var values

QUOTE_LESSON = {
    "format_version": 1,
    "id": "quote",
    "number": 1,
    "title": "Quoting",
    "summary": "Variables are shell-quoted in every command.",
    "variables": {"word": {"default": "hello"}},
    "steps": [
        {
            "id": "say",
            "title": "Say it",
            "explanation": "Print the word.",
            "command": "printf '%s\\n' @{word}",
            "checks": [
                {"kind": "output"},
                {"kind": "command", "run": "printf '%s' @{word} >/dev/null"},
            ],
        }
    ],
    "cleanup": ["printf '%s' @{word} >/dev/null"],
}


class Recording:
    """LocalTarget, noting every command it is asked to run."""

    def __init__(self) -> None:
        self.inner = LocalTarget()
        self.name = "local"
        self.commands: list[str] = []

    def run(self, command: str, *, timeout: float, on_output: Any = None) -> CommandResult:
        self.commands.append(command)
        return self.inner.run(command, timeout=timeout, on_output=on_output)

    def docker(self) -> Any:
        return self.inner.docker()

    def __getattr__(self, name: str) -> Any:  # the typed probes: listeners, interfaces, …
        return getattr(self.inner, name)

    def close(self) -> None:
        self.inner.close()


_values = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    ),
    st.sampled_from(["ATTACK"]),  # replaced by each attack in turn (they name the marker)
)


@QUICK
@given(value=_values, attack=st.integers(0, 14))
def test_var_values_are_quoted_in_every_command(tmp_path: Path, value: str, attack: int) -> None:
    marker = tmp_path / "pwned"
    if value == "ATTACK":
        value = attacks(marker)[attack]
    path = tmp_path / "01-quote.yaml"
    path.write_text(yaml.safe_dump(QUOTE_LESSON))
    lesson = load_lesson(path, {"word": value})
    target = Recording()
    outputs: list[str] = []

    def emit(event: Any) -> None:
        if isinstance(event, CommandFinished):
            outputs.append(event.result.stdout)

    assert LessonSession(lesson, target, emit=emit).run_all()
    quoted = shlex.quote(value)
    assert target.commands == [
        f"printf '%s\\n' {quoted}",
        f"printf '%s' {quoted} >/dev/null",
        f"printf '%s' {quoted} >/dev/null",
    ]
    assert outputs == [value + "\n"]  # the value arrived as one literal argument
    assert not marker.exists()


def test_var_values_through_the_cli(echo_lessons, hostnet_bin, marker: Path) -> None:
    echo_lessons()
    for value in few_attacks(marker):
        res = hostnet(hostnet_bin, "lesson", "1", "--json", "--var", f"word={value}")
        assert res.returncode == 0, res.stderr
        events = [json.loads(line) for line in res.stdout.splitlines()]
        ran = [e["result"]["command"] for e in events if e["event"] == "command_finished"]
        assert ran == [f"echo first {shlex.quote(value)}", f"echo second {shlex.quote(value)}"]
        said = [e["result"]["stdout"] for e in events if e["event"] == "command_finished"]
        assert said == [f"first {value}\n", f"second {value}\n"]
        assert not marker.exists(), value


def test_var_names_and_the_show_command(echo_lessons, hostnet_bin, marker: Path) -> None:
    echo_lessons()
    res = hostnet(hostnet_bin, "lesson", "1", "--auto", "--var", f"x;touch {marker}=1")
    assert res.returncode == ExitCode.LESSON_ERROR and "has no variable" in res.stderr
    res = hostnet(hostnet_bin, "show", "1", "--var", f"word=$(touch {marker})")
    assert res.returncode == 0  # Markdown for a handout: the value shown, quoted, never run
    assert f"echo first '$(touch {marker})'" in res.stdout


@pytest.mark.docker
def test_var_container_on_the_real_lesson_1(
    docker_client, standin_image: str, hostnet_bin: Path, marker: Path
) -> None:
    """Lesson 1 with `--var container='x; touch …'`: docker refuses the name, nothing else runs."""
    value = f"x; touch {marker}"
    res = hostnet(
        hostnet_bin,
        "lesson", "1", "--json",
        "--var", f"container={value}",
        "--var", f"image={standin_image}",
        timeout=300,
    )  # fmt: skip
    assert res.returncode in (ExitCode.CHECK_FAILED, ExitCode.ENVIRONMENT), res.stderr
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    lesson = find_lesson("1", values={"container": value, "image": standin_image})
    allowed = {s.command for s in lesson.steps} | set(lesson.cleanup)
    ran = [e["result"]["command"] for e in events if e["event"] == "command_finished"]
    ran += [r["command"] for e in events if e["event"] == "cleanup_finished" for r in e["results"]]
    assert set(ran) <= allowed, ran
    assert f"--name {shlex.quote(value)} " in lesson.steps[0].command
    if res.returncode == ExitCode.CHECK_FAILED:  # (4: port 80 was busy; nothing ran at all)
        assert ran[0] == lesson.steps[0].command


# ---------------------------------------------------------------------- --answer

ASK_LESSON = {
    "format_version": 1,
    "id": "ask",
    "number": 1,
    "title": "Ask",
    "summary": "A question about what a command printed.",
    "steps": [
        {
            "id": "ask",
            "title": "Count",
            "explanation": "Print a number.",
            "command": "echo 42",
            "checks": [
                {"kind": "output", "contains": "42"},
                {"kind": "probe_answer", "question": "Which number?", "run": "echo 42"},
            ],
        }
    ],
}


def test_answers_are_compared_never_run(tmp_path, monkeypatch, hostnet_bin, marker) -> None:
    folder = tmp_path / "ask"
    folder.mkdir()
    (folder / "01-ask.yaml").write_text(yaml.safe_dump(ASK_LESSON))
    monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(folder))
    for answer in few_attacks(marker):
        res = hostnet(hostnet_bin, "check", "1", "--step", "ask", "--answer", answer, "--json")
        assert res.returncode == ExitCode.CHECK_FAILED, res.stderr
        [check] = json.loads(res.stdout)["checks"]
        assert check["observed"] == f"you answered {answer.strip()!r}"
    res = hostnet(hostnet_bin, "check", "1", "--step", "ask", "--answer", " 42 ")
    assert res.returncode == 0, res.stdout + res.stderr


# ---------------------------------------------------------------------- labs


def test_lab_names_and_urls(tmp_path, monkeypatch, echo_lessons, hostnet_bin, marker) -> None:
    monkeypatch.setenv("HOSTNET_LABS_FILE", str(tmp_path / "labs.json"))
    echo_lessons()
    config = tmp_path / "ssh_config"
    config.write_text("Host x\n  HostName 127.0.0.1\n")
    for name in few_attacks(marker):
        if name.startswith("-"):  # an option to the command line parser: a usage error
            res = hostnet(hostnet_bin, "lab", "add", name, "--url", "ssh://u@127.0.0.1:1")
            assert res.returncode == ExitCode.USAGE
            continue
        res = hostnet(hostnet_bin, "lab", "add", name, "--url", "ssh://u@127.0.0.1:1")
        assert res.returncode == ExitCode.ENVIRONMENT and "invalid lab name" in res.stderr
        res = hostnet(hostnet_bin, "lab", "add", name, "--ssh-config", str(config))
        assert res.returncode == ExitCode.ENVIRONMENT
        res = hostnet(hostnet_bin, "lab", "remove", name)
        assert res.returncode == 0 and "nothing to do" in res.stdout
        res = hostnet(hostnet_bin, "lesson", "1", "--auto", "--lab", name)
        assert res.returncode == ExitCode.ENVIRONMENT and "no lab named" in res.stderr
        res = hostnet(hostnet_bin, "lab", "down", name)
        assert res.returncode == ExitCode.ENVIRONMENT, res.stderr  # (checked before anything)
        assert "Traceback" not in res.stderr and "internal error" not in res.stderr
        assert not marker.exists(), name
    assert not (tmp_path / "labs.json").exists()  # nothing was registered
    for url in (f"ssh://u;touch {marker}@127.0.0.1:1", f"ssh://u@127.0.0.1:1/$(touch {marker})"):
        res = hostnet(hostnet_bin, "lesson", "1", "--auto", "--target", url, timeout=60)
        assert res.returncode in (ExitCode.ENVIRONMENT, ExitCode.USAGE), res.stderr
        assert "internal error" not in res.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    ["[1, 2]", '"a string"', '{"lab": "not a mapping"}', '{"lab": {"bogus": 1}}', "{", "\xff"],
)
def test_a_malformed_lab_list_is_an_environment_error(
    tmp_path: Path, monkeypatch, hostnet_bin, content: str
) -> None:
    labs = tmp_path / "labs.json"
    labs.write_text(content, encoding="utf-8", errors="surrogateescape")
    monkeypatch.setenv("HOSTNET_LABS_FILE", str(labs))
    res = hostnet(hostnet_bin, "lab", "list")
    assert res.returncode == ExitCode.ENVIRONMENT, res.stdout + res.stderr
    assert f"cannot read the lab list {labs}" in res.stderr.replace("\n", "")


# ---------------------------------------------------------------------- Slack text


def test_slack_commands_and_mentions(make_bot, echo_lessons, fake_slack, marker: Path) -> None:
    echo_lessons()
    bot: BotHarness = make_bot()
    for n, text in enumerate(attacks(marker)):
        bot.slash(ALICE, f"start {text}")
        bot.slash(ALICE, text)
        bot.mention(ALICE, f"start lesson {text}", event_id=f"Ev{n}")
    assert bot.labs.runs == [] and bot.bot.store.sessions() == []
    assert not marker.exists()


_slack_words = st.lists(
    st.one_of(
        st.sampled_from(["start", "lesson", "1", "stop", "labs", "help", "progress", "lessons"]),
        st.sampled_from([";", "&&", "|", "$(", ")", "`", "'", '"', "\n", "<@UBOT>", "<!channel>"]),
        st.just("touch MARKER"),
        st.text(max_size=8),
    ),
    max_size=6,
)


@QUICK
@given(words=_slack_words)
def test_any_slack_text_runs_only_lesson_commands(
    make_bot, echo_lessons, fake_slack, tmp_path: Path, words: list[str]
) -> None:
    marker = tmp_path / "pwned"
    text = " ".join(words).replace("MARKER", str(marker))
    echo_lessons()
    if not hasattr(fake_slack, "bot"):  # one bot for every example (building one takes time)
        fake_slack.bot = make_bot()
    bot: BotHarness = fake_slack.bot
    bot.slash(ALICE, text)
    bot.mention(ALICE, text, event_id=f"Ev{abs(hash(text))}")
    lesson_commands = {"echo first hello", "true", "echo second hello", "echo cleaned"}
    assert set(bot.labs.commands()) <= lesson_commands, bot.labs.commands()
    assert not marker.exists()
