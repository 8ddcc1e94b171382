"""Hostile and malformed input: a marker file that must never appear.

The bot's fixtures come from tests/conftest.py; the hostile inputs themselves
(fake secrets, terminal escapes, floods) from tests/support/hostile.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A file no test input may create (unique per test)."""
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), f"{path} was created: something ran that should not have"
