"""The loader: real lessons load; every kind of bad lesson gives one clear, located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostnet.engine.errors import ExitCode, LessonError
from hostnet.engine.loader import find_lesson, lesson_files, load_all, load_lesson

GOOD = """\
format_version: 1
id: demo
number: 9
title: Demo
summary: A demo.
variables:
  name: {default: my_box}
steps:
  - id: one
    title: One
    explanation: Inspect.
    command: docker inspect -f '{{.HostConfig.NetworkMode}}' @{name} && echo $HOME ${HOME}
    checks:
      - kind: output
        contains: host
      - kind: command
        run: "true"
cleanup:
  - docker rm -f @{name}
"""


def write(tmp_path: Path, text: str, name: str = "09-demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path, **values: str) -> str:
    with pytest.raises(LessonError) as info:
        load_lesson(path, values or None)
    assert info.value.exit_code == ExitCode.LESSON_ERROR
    return str(info.value)


def test_shipped_lessons_load() -> None:
    lessons = load_all()
    assert [lesson.number for lesson in lessons][:1] == [1]
    assert len(lesson_files()) == len(lessons)


def test_go_templates_and_shell_variables_stay_verbatim(tmp_path: Path) -> None:
    lesson = load_lesson(write(tmp_path, GOOD))
    assert lesson.steps[0].command == (
        "docker inspect -f '{{.HostConfig.NetworkMode}}' my_box && echo $HOME ${HOME}"
    )


def test_variable_values_are_shell_quoted_in_commands_only(tmp_path: Path) -> None:
    text = GOOD.replace("explanation: Inspect.", "explanation: Inspect @{name}.")
    lesson = load_lesson(write(tmp_path, text), {"name": "x; rm -rf /"})
    assert lesson.steps[0].command.startswith(
        "docker inspect -f '{{.HostConfig.NetworkMode}}' 'x; rm -rf /' &&"
    )
    assert lesson.cleanup == ["docker rm -f 'x; rm -rf /'"]
    assert lesson.steps[0].explanation == "Inspect x; rm -rf /."


def test_escaped_variable_syntax(tmp_path: Path) -> None:
    lesson = load_lesson(write(tmp_path, GOOD.replace("echo $HOME", "echo @@{literal}")))
    assert "echo @{literal}" in lesson.steps[0].command


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("title: One", "title: [One"))
    assert error_of(path).startswith(f"{path}:11: not valid YAML")


def test_unknown_check_kind_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("kind: output", "kind: outptu"))
    assert error_of(path) == (
        f"{path}:14: steps[0].checks[0].kind: unknown check 'outptu' (did you mean 'output'?)"
    )


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    command:", "    timout: 5\n    command:"))
    assert (
        error_of(path)
        == f"{path}:12: steps[0].timout: unknown field 'timout' (did you mean 'timeout'?)"
    )


def test_unknown_field_in_a_check(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("contains: host", "contain: host"))
    assert (
        f"{path}:15: steps[0].checks[0].contain: unknown field 'contain' (did you mean 'contains'?)"
        in error_of(path)
    )


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    command: docker", "    xcommand: docker"))
    assert error_of(path).startswith(
        f"{path}:9: steps[0].command: missing required field 'command'"
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("number: 9", "number: nine"))
    assert error_of(path).startswith(f"{path}:3: number: Input should be a valid integer")


def test_wrong_type_after_substitution_names_the_variable(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  name: {default: my_box}", "  name: {default: my_box}\n  port: {default: '80'}"
    )
    text = text.replace(
        "contains: host", "contains: host\n      - kind: port\n        port: '@{port}'"
    )
    path = write(tmp_path, text)
    assert load_lesson(path).steps[0].checks[1].port == 80  # type: ignore[union-attr]
    message = error_of(path, port="eighty")
    assert "steps[0].checks[1].port: Input should be a valid integer" in message
    assert "port='eighty'" in message


def test_newer_format_version_asks_to_upgrade(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("format_version: 1", "format_version: 2"))
    message = error_of(path)
    assert message.startswith(f"{path}:1: format_version: this lesson is written for format 2")
    assert "please upgrade" in message


def test_missing_format_version(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("format_version: 1\n", ""))
    assert "missing format_version" in error_of(path)


def test_unknown_variable_reference(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("rm -f @{name}", "rm -f @{nmae}"))
    assert error_of(path) == (
        f"{path}:19: cleanup[0]: unknown variable @{{nmae}} (did you mean 'name'?)\n"
        "hint: declare it under `variables:` with a default"
    )


def test_unknown_variable_value_given(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert "has no variable 'nam' (did you mean 'name'?)" in error_of(path, nam="x")


def test_duplicate_step_ids(tmp_path: Path) -> None:
    step = GOOD[GOOD.index("  - id: one") : GOOD.index("cleanup:")]
    path = write(tmp_path, GOOD.replace("cleanup:", step + "cleanup:"))
    assert "duplicate step id 'one'" in error_of(path)


def test_invalid_regex_is_a_lesson_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("contains: host", "matches: '(unclosed'"))
    assert "not a valid regular expression" in error_of(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "must be a mapping" in error_of(write(tmp_path, "- just\n- a list\n"))


def test_unknown_lesson_lists_the_available_ones() -> None:
    with pytest.raises(LessonError) as info:
        find_lesson("99")
    assert "no lesson '99'" in str(info.value)
    assert "1 (host-network)" in str(info.value)


def test_lesson_found_by_number_or_id() -> None:
    assert find_lesson("1").id == find_lesson("host-network").id == "host-network"


def test_a_step_id_is_a_slug_not_a_variable(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  - id: one", '  - id: "@{name}"'))
    message = error_of(path)
    assert message.startswith(f"{path}:")
    assert "steps[0].id: step id '@{name}' is not a slug" in message
    assert "(no variables: progress is kept by id)" in message


def test_a_duplicate_step_id_is_reported_at_its_own_line(tmp_path: Path) -> None:
    step = GOOD[GOOD.index("  - id: one") : GOOD.index("cleanup:")]
    text = GOOD.replace("cleanup:", step + "cleanup:")
    path = write(tmp_path, text)
    second = text.index("  - id: one", text.index("  - id: one") + 1)
    line = text[:second].count("\n") + 1
    assert error_of(path).startswith(
        f"{path}:{line}: steps[1].id: duplicate step id 'one' (step 1 has it too)"
    )


def test_challenge_steps_are_verified_by_state_not_output(tmp_path: Path) -> None:
    text = GOOD.replace("    command: docker", "    challenge: true\n    command: docker", 1)
    path = write(tmp_path, text)
    line = text[: text.index("kind: output")].count("\n") + 1
    message = error_of(path)
    assert message.startswith(
        f"{path}:{line}: steps[0].checks[0].kind: an output check on a challenge step"
    )


def test_a_prediction_answer_must_be_one_of_its_choices(tmp_path: Path) -> None:
    predict = (
        "    predict:\n      question: Which?\n      choices: [a, b]\n"
        "      answer: 3\n      explanation: Because.\n"
    )
    text = GOOD.replace("    command: docker", predict + "    command: docker", 1)
    path = write(tmp_path, text)
    line = text[: text.index("    predict:")].count("\n") + 1
    assert error_of(path).startswith(
        f"{path}:{line}: steps[0].predict: answer 3 but only 2 choices"
    )


def test_from_outside_only_where_a_check_can_be_made_from_elsewhere(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      - kind: output\n", "      - kind: output\n        from: outside\n", 1
    )
    message = error_of(write(tmp_path, text))
    assert "steps[0].checks[0].from: a output check cannot be made from elsewhere" in message


def test_a_literal_gets_did_you_mean(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      - kind: output\n", "      - kind: output\n        stream: stdot\n", 1
    )
    message = error_of(write(tmp_path, text))
    assert "'stdot' is not one of stdout, stderr, both (did you mean 'stdout'?)" in message
