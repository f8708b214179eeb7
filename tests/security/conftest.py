"""Fixtures of the security checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tiktok_assets.warehouse.engine import dispose_all


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Close the pooled connections to the tests' temporary SQLite files."""
    yield
    dispose_all()
