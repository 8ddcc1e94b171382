"""``http``: a URL answers (or does not), from the target host or from outside it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..outside import Outside
from .base import Check, CheckContext, CheckResult, Int, TextMatch, Vantage, excerpt


class HttpCheck(Check, TextMatch, Vantage):
    """GET a URL from the target (a lab is probed from inside the lab), or from
    outside it: write ``@{host_address}`` for the target host's address there."""

    kind: Literal["http"] = "http"
    url: str = Field(description="URL to GET, e.g. http://localhost:80/")
    status: Int | None = Field(default=200, description="Expected HTTP status.")
    answers: bool = Field(
        default=True, description="false: nothing may answer (connection refused or timeout)."
    )
    timeout: float = Field(default=3.0, gt=0, le=60)

    settle_seconds = 10.0

    def describe(self) -> str:
        where = " from outside (a container on the bridge)" if self.outside else ""
        if not self.answers:
            return f"nothing answers at {self.url}{where}"
        text = self.text_expectation()
        status = f" with HTTP {self.status}" if self.status is not None else ""
        return f"{self.url} answers{where}{status}" + (f", body {text}" if text else "")

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        if self.outside:
            reply = Outside(ctx.target, self.probe_image).http_get(self.url, self.timeout)
        else:
            reply = ctx.target.http_get(self.url, self.timeout)
        if reply.status is None:
            observed = f"no answer ({reply.error})"
            return self.result(not self.answers, self._expected(), observed)
        observed = f"HTTP {reply.status}: {excerpt(reply.body, 200)}"
        if not self.answers:
            return self.result(False, self._expected(), observed)
        ok = (self.status is None or reply.status == self.status) and self.text_ok(reply.body)
        return self.result(ok, self._expected(), observed)

    def _expected(self) -> str:
        if not self.answers:
            return "no answer"
        parts = [f"HTTP {self.status}" if self.status is not None else "any HTTP answer"]
        if text := self.text_expectation():
            parts.append(f"body {text}")
        return ", ".join(parts)
