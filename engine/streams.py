"""A running command's output, gathered the same way by every target.

Targets differ only in how they wait for bytes (pipes and a selector locally,
an SSH channel on a lab); what happens to the bytes is here, once: they are
decoded as UTF-8 (a character split across two reads stays whole), passed on
to ``on_output`` as they arrive, kept, and made into the :class:`CommandResult`.
"""

from __future__ import annotations

import codecs
import time
from typing import Literal

from .commands import CommandResult, OutputSink

Stream = Literal["stdout", "stderr"]
STREAMS: tuple[Stream, Stream] = ("stdout", "stderr")


class Output:
    """The output of one command while it runs; :meth:`result` when it has ended."""

    def __init__(self, command: str, on_output: OutputSink | None = None) -> None:
        self.command = command
        self.started = time.monotonic()
        self._on_output = on_output
        self._chunks: dict[Stream, list[str]] = {s: [] for s in STREAMS}
        self._decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in STREAMS}

    def add(self, stream: Stream, data: bytes) -> None:
        """Bytes read from ``stream``: decoded, passed on, kept."""
        self._keep(stream, self._decoders[stream].decode(data))

    def result(self, exit_code: int, *, timed_out: bool = False) -> CommandResult:
        """The command's result; what was still undecoded (a cut-off character) is flushed."""
        for stream in STREAMS:
            self._keep(stream, self._decoders[stream].decode(b"", final=True))
        return CommandResult(
            command=self.command,
            exit_code=exit_code,
            stdout="".join(self._chunks["stdout"]),
            stderr="".join(self._chunks["stderr"]),
            duration=time.monotonic() - self.started,
            timed_out=timed_out,
        )

    def _keep(self, stream: Stream, text: str) -> None:
        if not text:
            return
        self._chunks[stream].append(text)
        if self._on_output is not None:
            self._on_output(stream, text)
