"""Fixtures of the refresh tests: the living simulator, a persistent instance, a warehouse
(SQLite and PostgreSQL), and a few shops and products listed by them tracked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from dagster import DagsterInstance, instance_for_test

from tests.simserver import RunningSim
from tests.tracking.conftest import make_defs, make_resources


@pytest.fixture
def living(sim: RunningSim) -> RunningSim:
    """The session's simulator with a living market, rate limit off."""
    sim.configure(market="living")
    return sim


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    """A persistent instance in a temporary folder (its own DAGSTER_HOME)."""
    with instance_for_test() as inst:
        yield inst


@pytest.fixture
def wh_url(warehouse_url: str) -> str:
    """The warehouse on each backend: SQLite, and PostgreSQL (`tests/conftest.py`)."""
    return warehouse_url


@pytest.fixture
def tracked(living: RunningSim, instance: DagsterInstance, today: dt.date) -> dict[str, list[str]]:
    """Two shops and three products on their lists today, tracked."""
    world = living.world
    shops = [s for s in world.shop_ids() if len(world.products_of_shop(s, today)) >= 2][:2]
    products = [p for s in shops for p in world.products_of_shop(s, today - dt.timedelta(1))][:3]
    assert len(shops) == 2 and len(products) == 3
    instance.add_dynamic_partitions("shop_ids", shops)
    instance.add_dynamic_partitions("product_ids", products)
    return {"shop": shops, "product": products}


def resources_for(sim: RunningSim, wh_url: str, credit_limit: int = 10_000_000) -> dict[str, Any]:
    return make_resources(sim, wh_url, credit_limit=credit_limit)


__all__ = ["make_defs", "resources_for"]
