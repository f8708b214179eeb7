"""Fixtures of the tracking tests: a persistent temporary instance, resources on the
simulator, the code location's tracking definitions bound to them, a tracked-ids file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, Definitions, instance_for_test

from tests.assets.support import resources as asset_resources
from tests.simserver import RunningSim
from tiktok_assets.assets import api_assets
from tiktok_assets.jobs import tracking_jobs
from tiktok_assets.refresh.handoff import refresh_requests, refresh_requests_job
from tiktok_assets.schedules import tracking_schedules
from tiktok_assets.sensors import tracking_sensors
from tiktok_assets.settings import get_settings
from tiktok_assets.warehouse.engine import dispose_all

BIG_BUDGET = 10_000_000
"""A monthly credit limit no test reaches unless it means to."""


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    """A persistent instance in a temporary folder (sensor contexts refuse ephemeral ones)."""
    with instance_for_test() as inst:
        yield inst


@pytest.fixture
def tracked_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TIKTOK_TRACKED_FILE pointed at a file in the test's folder (not created)."""
    path = tmp_path / "tracked.yaml"
    monkeypatch.setenv("TIKTOK_TRACKED_FILE", str(path))
    return path


def make_resources(
    sim: RunningSim, warehouse_url: str, *, credit_limit: int = BIG_BUDGET, **api: Any
) -> dict[str, Any]:
    return asset_resources(sim, warehouse_url, credit_limit=credit_limit, **api)


def make_defs(res: dict[str, Any]) -> Definitions:
    """The code location's assets, jobs, sensors and schedules with the test's resources."""
    return Definitions(
        assets=[*api_assets, refresh_requests],
        jobs=[*tracking_jobs, refresh_requests_job],
        sensors=tracking_sensors(get_settings()),
        schedules=tracking_schedules(get_settings()),
        resources=res,
    )


@pytest.fixture
def wh_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite warehouse. The tests whose SQL matters on both backends take the
    shared `warehouse_url` fixture instead (SQLite and PostgreSQL)."""
    yield f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    dispose_all()


@pytest.fixture
def res(sim: RunningSim, wh_url: str, today) -> dict[str, Any]:
    """The resources on the simulator and the SQLite warehouse, with a budget no test reaches."""
    return make_resources(sim, wh_url)


@pytest.fixture
def defs(res: dict[str, Any]) -> Definitions:
    return make_defs(res)
