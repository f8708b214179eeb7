"""The cost planner: pages from the last known total, free journal hits, selections."""

from __future__ import annotations

import argparse
import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa

from tests.economy.fakes import SHOP, call
from tiktok_assets.catalog import SOURCES
from tiktok_assets.cli.plan import plan_command
from tiktok_assets.cli.plan import register as register_plan
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.economy.journal import SqlRequestJournal
from tiktok_assets.economy.planner import (
    AssetCost,
    CostPlan,
    parse_partitions,
    plan_partitions,
    plan_selection,
)
from tiktok_assets.settings import get_settings

OTHER = "2222222222222222"
PAGE_SIZE = 50
LIMITS = {"page_size": PAGE_SIZE, "rate_per_minute": 60, "monthly_credit_limit": 1000}


@pytest.fixture
def journal(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> SqlRequestJournal:
    """Today's journal: shop_products SHOP|30 has 120 rows, pages 1-2 fetched; shop_total
    SHOP|30 fetched; and an older day's list of OTHER|7 said 30 rows."""
    monkeypatch.setenv("TIKTOK_TODAY", "2026-02-28")
    journal = SqlRequestJournal(engine, run_id="earlier")
    products = SOURCES["shop_products"]
    (page,) = products.requests(OTHER, 7, page_size=PAGE_SIZE, known_total=None)
    journal.record(call(page, body={"success": True, "data": [], "page": 1, "total": 30}))
    monkeypatch.setenv("TIKTOK_TODAY", "2026-03-10")
    for page in products.requests(SHOP, 30, page_size=PAGE_SIZE, known_total=100):
        journal.record(call(page, body={"success": True, "data": [], "page": 1, "total": 120}))
    (total,) = SOURCES["shop_total"].requests(SHOP, 30, page_size=PAGE_SIZE, known_total=None)
    journal.record(call(total))
    return journal


def test_pages_come_from_the_last_known_total_and_hits_are_free(
    engine: sa.Engine, journal: SqlRequestJournal
) -> None:
    items = [
        (SOURCES["shop_products"], f"{SHOP}|30"),  # 120 rows: 3 pages, 2 fetched today
        (SOURCES["shop_products"], f"{OTHER}|7"),  # 30 rows (in February): 1 page, not fresh
        # never fetched: priced at the size 9 lists in 10 known do not exceed (120): 3 pages
        (SOURCES["shop_products"], f"{OTHER}|30"),
        (SOURCES["shop_total"], f"{SHOP}|30"),  # fetched today
        (SOURCES["shop_total"], f"{SHOP}|7"),
        (SOURCES["shop_detail"], SHOP),
    ]
    plan = plan_partitions(engine, items, CreditTerms(credit_reserve=100, **LIMITS))
    assert plan.rows == (
        AssetCost("shop_products", partitions=3, requests=7, cached=2),
        AssetCost("shop_total", partitions=2, requests=2, cached=1),
        AssetCost("shop_detail", partitions=1, requests=1, cached=0),
    )
    assert (plan.requests, plan.cached, plan.credits) == (10, 3, 7)
    assert plan.spent_this_month == 3  # March only: 2 pages and a total
    assert plan.credits_left == 1000 - 100 - 3 - 7
    assert plan.wall_seconds == pytest.approx(7.0)
    assert plan.month_resets_on == dt.date(2026, 4, 1)
    assert plan.as_tags() == {
        "tiktok/planned_requests": "10",
        "tiktok/planned_credits": "7",
        "tiktok/planned_cached": "3",
        "tiktok/credits_left": "890",
    }
    refreshed = plan_partitions(
        engine, items, CreditTerms(credit_reserve=100, **LIMITS), force_refresh=True
    )
    assert (refreshed.requests, refreshed.cached, refreshed.credits) == (10, 0, 10)


def test_table_is_readable() -> None:
    plan = CostPlan(
        rows=(
            AssetCost("shop_products", 40, 1200, 200),
            AssetCost("shop_total", 40, 40, 0),
            AssetCost("product_total", 400, 3, 0, derived=397, samples=3),
        ),
        spent_this_month=18_000,
        monthly_credit_limit=20_000,
        credit_reserve=1_000,
        rate_per_minute=60,
        month_resets_on=dt.date(2026, 4, 1),
    )
    table = plan.to_table()
    lines = table.splitlines()
    header = ["asset", "partitions", "derived", "requests", "cached", "samples", "credits"]
    assert lines[0].split() == header
    assert lines[2].split() == ["shop_products", "40", "0", "1,200", "200", "0", "1,000"]
    assert lines[4].split() == ["product_total", "400", "397", "3", "0", "3", "3"]
    assert lines[6].split() == ["total", "480", "397", "1,243", "200", "3", "1,043"]
    assert len({len(line) for line in lines[:7]}) == 1  # fixed width
    assert "18,000 spent of 19,000 usable" in table
    assert "credits left after this plan: -43" in table and "DOES NOT FIT" in table
    assert "17.4 min" in table
    assert not plan.fits


def _definitions() -> dg.Definitions:
    """The catalog's assets as bare specs (the real assets live elsewhere)."""
    specs = [
        dg.AssetSpec(name, partitions_def=source.partitions_def, group_name=source.group)
        for name, source in SOURCES.items()
    ]
    return dg.Definitions(assets=[*specs, dg.AssetSpec("api_credit_spend", group_name="economy")])


@pytest.fixture
def instance() -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("shop_ids", [SHOP, OTHER])
    instance.add_dynamic_partitions("product_ids", ["31", "32", "33"])
    return instance


def _plan(engine: sa.Engine, instance: dg.DagsterInstance, select: str, partitions=None):
    return plan_selection(
        _definitions(),
        instance,
        engine,
        select=select,
        partitions=partitions,
        terms=CreditTerms(credit_reserve=0, **LIMITS),
    )


def test_plan_selection_resolves_assets_and_every_partition(
    engine: sa.Engine, journal: SqlRequestJournal, instance: dg.DagsterInstance
) -> None:
    plan = _plan(engine, instance, "shop_total")
    assert plan.rows == (AssetCost("shop_total", partitions=8, requests=8, cached=1),)
    plan = _plan(engine, instance, "group:shops")
    assert [(r.asset, r.partitions, r.requests) for r in plan.rows] == [
        ("shop_detail", 2, 2),
        ("shop_total", 8, 8),
        ("shop_products", 8, 22),  # SHOP|30 3 pages, OTHER|7 1, the 6 unknown 3 each
    ]
    plan = _plan(engine, instance, "key:product_*")
    assert [(r.asset, r.partitions) for r in plan.rows] == [
        ("product_detail", 3),
        ("product_total", 12),
        ("product_history", 12),
    ]


def test_plan_selection_with_explicit_partitions_and_ranges(
    engine: sa.Engine, journal: SqlRequestJournal, instance: dg.DagsterInstance
) -> None:
    keys = parse_partitions(f"{SHOP}|30, {OTHER}|7")
    plan = _plan(engine, instance, "group:shops", keys)
    assert [(r.asset, r.partitions, r.requests, r.cached) for r in plan.rows] == [
        ("shop_total", 2, 2, 1),
        ("shop_products", 2, 4, 2),
    ]
    plan = _plan(engine, instance, "key:shop_total", [f"{SHOP}|1...{OTHER}|30"])
    assert plan.partitions == 6  # 2 ids x periods 1, 7, 30
    plan = _plan(engine, instance, "key:shop_detail or key:shop_total", [SHOP])
    assert [(r.asset, r.partitions) for r in plan.rows] == [("shop_detail", 1)]


def test_plan_selection_errors_are_explicit(
    engine: sa.Engine, instance: dg.DagsterInstance
) -> None:
    with pytest.raises(ValueError, match="belong to none of the selected assets"):
        _plan(engine, instance, "shop_total", ["9999|30"])
    with pytest.raises(ValueError, match="belong to none"):  # a range backwards
        _plan(engine, instance, "shop_total", [f"{OTHER}|30...{SHOP}|30"])
    with pytest.raises(ValueError, match="matches no asset that calls the API"):
        _plan(engine, instance, "api_credit_spend")
    assert parse_partitions(None) is None and parse_partitions("  ") is None


def test_plan_command_line(
    engine: sa.Engine,
    journal: SqlRequestJournal,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = argparse.ArgumentParser()
    register_plan(parser.add_subparsers(dest="command"))
    monkeypatch.setenv("TIKTOK_MONTHLY_CREDIT_LIMIT", "10")
    monkeypatch.setenv("TIKTOK_API_RATE_PER_MINUTE", "30")
    args = parser.parse_args(["plan", "--select", "group:shops", "--partitions", f"{SHOP}|30"])
    status, plan = plan_command(
        args, defs=_definitions(), instance=instance, engine=engine, settings=get_settings()
    )
    assert (status, plan.credits, plan.credits_left, plan.rate_per_minute) == (0, 1, 6, 30)
    args = parser.parse_args(["plan", "--select", "group:shops", "--force-refresh"])
    status, plan = plan_command(
        args, defs=_definitions(), instance=instance, engine=engine, settings=get_settings()
    )
    assert (status, plan.credits) == (1, 32)  # 2 + 8 + 22 requests do not fit in 7
