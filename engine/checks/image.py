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
        from docker.errors import DockerException, ImageNotFound

        client = ctx.target.docker()
        try:
            client.images.get(self.name)
            return self.result(True, "present or pullable", "present")
        except ImageNotFound:
            pass
        if not self.pull:
            return self.result(False, "present", "not present")
        try:
            client.images.pull(self.name)
        except DockerException as exc:
            reason = getattr(exc, "explanation", None) or str(exc) or type(exc).__name__
            return self.result(False, "present or pullable", f"not present; pull failed: {reason}")
        return self.result(True, "present or pullable", "pulled")
