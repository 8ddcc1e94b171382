"""Check kinds, keyed by the name lessons use in ``kind:``.

Adding a kind: one module with one :class:`~.base.Check` subclass, and one
line here. The registry is explicit (no import side effects).
"""

from __future__ import annotations

from .answer import AnswerCheck, ProbeAnswerCheck, Question
from .base import MODES, Check, CheckContext, CheckResult, Mode
from .command import CommandCheck
from .container import ContainerCheck
from .dns import DnsCheck
from .exited import ExitedCheck
from .http import HttpCheck
from .image import ImageCheck
from .interfaces import InterfacesCheck
from .logs import LogsCheck
from .namespace import NamespaceCheck
from .output import OutputCheck
from .port import PortCheck

REGISTRY: dict[str, type[Check]] = {
    "answer": AnswerCheck,
    "command": CommandCheck,
    "container": ContainerCheck,
    "dns": DnsCheck,
    "exited": ExitedCheck,
    "http": HttpCheck,
    "image": ImageCheck,
    "interfaces": InterfacesCheck,
    "logs": LogsCheck,
    "namespace": NamespaceCheck,
    "output": OutputCheck,
    "port": PortCheck,
    "probe_answer": ProbeAnswerCheck,
}

__all__ = ["MODES", "REGISTRY", "Check", "CheckContext", "CheckResult", "Mode", "Question"]
