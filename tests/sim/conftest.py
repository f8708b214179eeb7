"""Fixtures for the simulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sim._support import FakeClock, SimClient, make_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimClient]:
    """A fresh simulator (defaults, today fixed) for tests that change state."""
    with make_client(clock) as client:
        yield client


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SimClient]:
    """A read-only simulator shared by a module (no rate limit)."""
    with make_client(rate_limit_per_minute=0) as client:
        yield client
