"""The bot opens a configured lab as the CLI does, with :meth:`LabSpec.open`;
``build(..., open_target=...)`` takes another opener (tests record what runs)."""

from __future__ import annotations

from collections.abc import Callable

from hostnet.engine.labs.spec import LabSpec
from hostnet.engine.targets import Target

OpenTarget = Callable[[LabSpec], Target]
open_target: OpenTarget = LabSpec.open
