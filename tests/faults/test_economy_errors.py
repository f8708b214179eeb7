"""A store of the credit economy failing mid-run is named as such in the run's failure: the
rate limiter's table gone, the request journal's table gone, the budget's read failing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from tests.assets.support import resources, run
from tests.conftest import KEY
from tests.faults.support import FAST, failure_message
from tiktok_assets.assets import creator_total
from tiktok_assets.assets import fetch as fetch_module
from tiktok_assets.economy.budget import MonthlyCreditBudget
from tiktok_assets.economy.errors import (
    CreditBudgetError,
    EconomyStoreError,
    RateLimiterError,
    RequestJournalError,
)
from tiktok_assets.warehouse import safe_url
from tiktok_assets.warehouse.engine import ensure_tables, get_engine


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def _run_losing_a_table(sim, warehouse_url, instance, monkeypatch, table: str, **api) -> str:
    """A run of `creator_total` whose `table` is dropped after planning; its failure message."""
    creators = sim.world.creator_ids()[:1]
    instance.add_dynamic_partitions("creator_ids", creators)
    fetch_partitions = fetch_module.fetch_partitions

    async def drop_then_fetch(*args, **kwargs):
        with get_engine(warehouse_url).begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        return await fetch_partitions(*args, **kwargs)

    ensure_tables(get_engine(warehouse_url))
    monkeypatch.setattr(fetch_module, "fetch_partitions", drop_then_fetch)
    res = resources(sim, warehouse_url, max_concurrency=1, **FAST, **api)
    result = run(
        [creator_total], instance, res, key_range=(f"{creators[0]}|1", f"{creators[0]}|90")
    )
    assert not result.success
    assert sim.ledger(KEY)["credits_used"] == 0  # nothing was sent once a store failed
    return failure_message(result)


def test_the_rate_limiters_table_gone_is_named(sim, warehouse_url, instance, monkeypatch) -> None:
    message = _run_losing_a_table(
        sim, warehouse_url, instance, monkeypatch, "rate_limit_buckets", rate_per_minute=60
    )
    assert "creator_total: the shared rate limiter failed while taking a request slot on " in (
        message
    )
    assert f"on {safe_url(warehouse_url)} (tables rate_limit_buckets, rate_limit_slots): " in (
        message
    )
    assert "rate_limit_buckets" in message.split("): ", 1)[1]  # the database's own words
    assert "journal" not in message.splitlines()[0]
    assert "0 partition(s) were written and materialized; 3 were not attempted" in message


def test_the_journals_table_gone_is_named(sim, warehouse_url, instance, monkeypatch) -> None:
    message = _run_losing_a_table(sim, warehouse_url, instance, monkeypatch, "api_calls")
    first = message.splitlines()[0]
    assert ": creator_total: the request journal failed while looking up " in first
    assert f"on {safe_url(warehouse_url)} (tables api_calls): " in first
    assert "api_calls" in first.split("): ", 1)[1]
    assert "rate limiter" not in first


def test_the_budgets_failure_is_named_and_chained(warehouse_url: str) -> None:
    engine = get_engine(warehouse_url)
    ensure_tables(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE api_calls"))
    budget = MonthlyCreditBudget(engine, monthly_credit_limit=100)
    with pytest.raises(CreditBudgetError) as raised:
        budget.check_run(1)
    error = raised.value
    assert isinstance(error, EconomyStoreError)
    assert not isinstance(error, (RateLimiterError, RequestJournalError))
    assert isinstance(error.__cause__, sa.exc.SQLAlchemyError)
    assert str(error).startswith("the credit budget failed while reading the credits spent in ")
    assert "the month's spend is read from it" in str(error)


def test_a_password_is_masked_in_the_message() -> None:
    engine = sa.create_engine("postgresql+psycopg://user:s3cret-pw@db.example:5432/warehouse")
    error = RateLimiterError(
        engine, sa.exc.OperationalError("SELECT", {}, Exception("gone")), doing="x"
    )
    assert "s3cret" not in str(error) and "user:***@db.example" in str(error)
