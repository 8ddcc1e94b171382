"""The long-lived probe process: the same answers as hostprobe, one process for
many questions, and a clear way back to one-shot probes when it cannot run."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.probeserver import COMMAND, ProbeServer, Unavailable
from tests.support.channels import Opener


@pytest.fixture
def opener() -> Iterator[Opener]:
    made = Opener()
    yield made
    made.close()


def test_answers_as_hostprobe_does_from_one_process(opener: Opener) -> None:
    server = ProbeServer(opener)
    assert server.ask("interfaces") == hostprobe.collect("interfaces")
    assert server.ask("resolv_conf") == hostprobe.collect("resolv_conf")
    mine = server.ask("namespaces", str(os.getpid()))
    assert mine == hostprobe.collect("namespaces", str(os.getpid()))
    assert abs(float(server.ask("now")) - time.time()) < 5
    assert len(opener.opened) == 1  # every question went to the one process
    server.close()
    assert opener.opened[0].proc.wait(timeout=5) is not None  # and it ended with the server


def test_a_question_hostprobe_cannot_answer_is_its_error_and_the_server_goes_on(
    opener: Opener,
) -> None:
    server = ProbeServer(opener)
    with pytest.raises(ValueError, match="unknown fact 'nonsense'"):
        server.ask("nonsense")
    assert server.ask("interfaces") == hostprobe.collect("interfaces")
    assert len(opener.opened) == 1
    server.close()


def test_a_server_that_died_is_started_again_on_the_next_question(opener: Opener) -> None:
    server = ProbeServer(opener)
    server.ask("now")
    opener.opened[0].proc.kill()
    opener.opened[0].proc.wait()
    with pytest.raises(Unavailable):
        server.ask("interfaces")  # the caller asks the one-shot way this time
    assert server.ask("interfaces") == hostprobe.collect("interfaces")
    assert len(opener.opened) == 2
    server.close()


def test_a_lab_without_python3_gets_the_one_shot_way_and_is_told_why() -> None:
    opener = Opener(replace={COMMAND: "exec no-such-python3 -c pass"})
    server = ProbeServer(opener)
    try:
        with pytest.raises(Unavailable, match="no python3"):
            server.ask("interfaces")
        with pytest.raises(Unavailable):  # not tried again for each fact
            server.ask("interfaces")
        assert len(opener.opened) == 1
        assert server.path().startswith("one python3 per fact")
    finally:
        opener.close()
