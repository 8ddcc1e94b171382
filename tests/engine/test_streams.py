"""One output pump for every target: decoding, passing on, the CommandResult."""

from __future__ import annotations

import time

from hostnet.engine.streams import Output
from hostnet.engine.targets import LocalTarget


def test_a_character_split_across_two_reads_stays_whole() -> None:
    seen: list[tuple[str, str]] = []
    out = Output("printf é", lambda stream, text: seen.append((stream, text)))
    out.add("stdout", "é".encode()[:1])
    assert seen == []  # half a character is not passed on yet
    out.add("stdout", "é".encode()[1:] + b"!\n")
    out.add("stderr", b"warn\n")
    res = out.result(0)
    assert (res.command, res.stdout, res.stderr, res.exit_code) == ("printf é", "é!\n", "warn\n", 0)
    assert seen == [("stdout", "é!\n"), ("stderr", "warn\n")]


def test_a_cut_off_character_at_the_end_is_flushed_as_a_replacement() -> None:
    seen: list[str] = []
    out = Output("head -c 1", lambda stream, text: seen.append(text))
    out.add("stdout", "é".encode()[:1])
    res = out.result(1, timed_out=True)
    assert res.stdout == "\ufffd" and seen == ["\ufffd"]
    assert res.timed_out and not res.ok


def test_invalid_bytes_become_replacements_and_the_duration_is_measured() -> None:
    out = Output("cat binary")
    out.add("stdout", b"a\xffb")
    time.sleep(0.05)
    res = out.result(0)
    assert res.stdout == "a\ufffdb" and res.duration >= 0.05


def test_the_local_target_keeps_a_character_written_in_two_halves() -> None:
    seen: list[str] = []
    res = LocalTarget().run(
        r"printf '\303'; sleep 0.3; printf '\251\n'",
        timeout=10,
        on_output=lambda stream, text: seen.append(text),
    )
    assert res.stdout == "é\n" and seen == ["é\n"]
