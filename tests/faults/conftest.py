"""Fixtures of the fault suite: an ephemeral instance, and a second empty warehouse on the same
backend as `warehouse_url`, where a clean run gives the data a faulty run must converge to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from tests.conftest import POSTGRES_URL
from tests.simserver import RunningSim
from tiktok_assets.sim import SimConfig
from tiktok_assets.warehouse.engine import dispose_all


@pytest.fixture
def sim(sim: RunningSim) -> RunningSim:
    """The shared simulator, with the settings the root fixture does not reset put back too."""
    defaults = SimConfig()
    sim.configure(hang_seconds=defaults.hang_seconds, max_page_limit=defaults.max_page_limit)
    return sim


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as inst:
        yield inst


@pytest.fixture
def reference_url(warehouse_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty warehouse beside `warehouse_url` (same backend) for the clean reference run."""
    if warehouse_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference' / 'warehouse.sqlite'}"
        return
    assert POSTGRES_URL
    schema = f"r_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    dispose_all()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()
