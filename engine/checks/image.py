"""``image``: an image is present on the target's engine, or can be pulled."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Check, CheckContext, CheckResult


class ImageCheck(Check):
    """Mostly a prerequisite: ``docker run`` would pull it, so check that can work."""

    kind: Literal["image"] = "image"
    name: str
    pull: bool = Field(default=True, description="Try `docker pull` when it is not present.")

    def describe(self) -> str:
        return f"image {self.name} is available"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        engine = ctx.target.docker()
        if engine.image_present(self.name):
            return self.result(True, "present or pullable", "present")
        if not self.pull:
            return self.result(False, "present", "not present")
        failure = engine.pull_image(self.name)
        if failure is not None:
            return self.result(False, "present or pullable", f"not present; pull failed: {failure}")
        return self.result(True, "present or pullable", "pulled")
