"""Buying each number once: product totals and shorter histories derived from the day's shop
lists and daily series, verified against the API before they are trusted, never stored when
they disagree. Against the simulator over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from dagster import AssetCheckSeverity, DagsterInstance

from tests.assets.support import resources, run, table
from tests.conftest import KEY, TODAY
from tiktok_assets.api import endpoints as ep
from tiktok_assets.assets import product_history, product_total, shop_products
from tiktok_assets.catalog import SOURCES
from tiktok_assets.economy import CreditBudgetResource
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.economy.planner import plan_partitions
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.tables import api_calls, source_reconciliation

PERIODS = (1, 7, 30, 90)


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def _shop_with_products(sim, instance, count: int = 12) -> tuple[str, list[str]]:
    shop = next(s for s in sim.world.shop_ids() if len(sim.world.products_of_shop(s)) >= count)
    products = sim.world.products_of_shop(shop)[:count]
    instance.add_dynamic_partitions("shop_ids", [shop])
    instance.add_dynamic_partitions("product_ids", products)
    return shop, products


def _fetch_lists(sim, instance, res, shop: str) -> None:
    result = run([shop_products], instance, res, key_range=(f"{shop}|1", f"{shop}|90"))
    assert result.success


def _credits(sim) -> int:
    return sim.ledger(KEY)["credits_used"]


def _check(result, name: str):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def _assert_totals_are_the_apis(sim, warehouse_url: str, products: list[str]) -> pd.DataFrame:
    stored = table(warehouse_url, "product_total")
    assert len(stored) == len(products) * len(PERIODS)
    for row in stored.itertuples():
        truth = sim.world.product_total(row.id, row.period, TODAY)
        assert (row.revenue, row.sales, row.avg_price) == (
            truth["revenue"],
            truth["sales"],
            truth["avg_price"],
        ), f"{row.id}|{row.period} ({row.source})"
        assert row.snapshot_date == TODAY
    return stored


def test_totals_come_from_the_days_shop_lists_once_a_sample_agreed(
    sim, today, warehouse_url, instance
) -> None:
    shop, products = _shop_with_products(sim, instance)
    res = resources(sim, warehouse_url)
    _fetch_lists(sim, instance, res, shop)
    before = _credits(sim)

    result = run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    )

    assert result.success
    assert _credits(sim) - before == 3  # the sample; 45 of 48 partitions paid nothing
    stored = _assert_totals_are_the_apis(sim, warehouse_url, products)
    assert stored["source"].value_counts().to_dict() == {"shop_products": 45, "api": 3}

    # Each derived row points at the list answer it came from, and keeps that answer's time.
    engine = Warehouse(url=warehouse_url).engine
    with engine.connect() as conn:
        calls = {
            row.call_id: row
            for row in conn.execute(sa.select(api_calls).where(api_calls.c.cache_hit.is_(False)))
        }
    for row in stored[stored["source"] == "shop_products"].itertuples():
        call = calls[int(row.source_call_id)]
        assert call.route == ep.SHOP_PRODUCTS.route and call.entity_id == shop
        assert f'"period": {row.period}' in call.params
        assert row.id in {str(item["id"]) for item in call.body["data"]}
        assert pd.Timestamp(row.fetched_at) == pd.Timestamp(call.called_at)
    for row in stored[stored["source"] == "api"].itertuples():
        assert calls[int(row.source_call_id)].route == ep.PRODUCT_TOTAL.route

    # The comparisons are kept, the check passed, and each materialization names its source.
    reconciled = table(warehouse_url, "source_reconciliation")
    assert len(reconciled) == 3 and reconciled["agreed"].all()
    assert set(reconciled["source"]) == {"shop_products"}
    assert _check(result, "product_total_sources_agree").passed
    sources = {
        str(m.partition): m.metadata["tiktok/source"].value
        for m in result.asset_materializations_for_node("product_total")
    }
    assert sorted(sources.values()).count("shop_products") == 45

    # The same day again: the trusted source answers all but the journal's three, free.
    again = run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    )
    assert again.success
    assert _credits(sim) - before == 3
    assert len(table(warehouse_url, "source_reconciliation")) == 3


def test_a_90_day_history_answers_every_shorter_window(sim, today, warehouse_url, instance):
    _, products = _shop_with_products(sim, instance, count=4)
    res = resources(sim, warehouse_url)
    for product in products:
        assert run([product_history], instance, res, partition_key=f"{product}|90").success
    before = _credits(sim)

    key_range = (f"{products[0]}|1", f"{products[-1]}|90")
    totals = run([product_total], instance, res, key_range=key_range)
    histories = run([product_history], instance, res, key_range=key_range)

    assert totals.success and histories.success
    # product_total: 3 samples of 16; product_history: 90 from the journal, 3 samples of 12.
    assert _credits(sim) - before == 6
    stored = _assert_totals_are_the_apis(sim, warehouse_url, products)
    assert stored["source"].value_counts().to_dict() == {"product_history": 13, "api": 3}
    series = table(warehouse_url, "product_history")
    for row in series.itertuples():
        sales, revenue = sim.world.product_day(row.id, row.date)
        assert (row.sales, row.revenue) == (sales, revenue)
    assert len(series) == 4 * 90


def test_a_list_that_disagrees_is_never_stored_and_the_day_is_paid(
    sim, today, warehouse_url, instance
) -> None:
    shop, products = _shop_with_products(sim, instance)
    res = resources(sim, warehouse_url)
    # The lists lag a day: the simulator answers them for the window ending two days ago.
    sim.configure(today=TODAY - dt.timedelta(days=1))
    _fetch_lists(sim, instance, res, shop)
    sim.configure(today=TODAY)
    before = _credits(sim)

    key_range = (f"{products[0]}|1", f"{products[-1]}|90")
    result = run([product_total], instance, res, key_range=key_range)

    assert result.success  # the day is completed by paid requests
    assert _credits(sim) - before == 48
    stored = _assert_totals_are_the_apis(sim, warehouse_url, products)  # 0 wrong values
    assert set(stored["source"]) == {"api"}
    reconciled = table(warehouse_url, "source_reconciliation")
    assert len(reconciled) == 3 and not reconciled["agreed"].all()
    check = _check(result, "product_total_sources_agree")
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    first = reconciled[~reconciled["agreed"]].iloc[0]
    assert f"{first['id']}|{first['period']}: shop_products says revenue" in check.description
    assert "the API says revenue" in check.description

    # Later the same day the source stays distrusted: nothing is derived from it.
    again = run([product_total], instance, res, key_range=key_range)
    assert again.success
    assert _credits(sim) - before == 48  # all from the journal
    assert not _check(again, "product_total_sources_agree").passed


def test_lists_lagging_with_the_simulators_option_are_never_a_source(
    sim, today, warehouse_url, instance
) -> None:
    shop, products = _shop_with_products(sim, instance)
    res = resources(sim, warehouse_url)
    sim.configure(list_lag_days=2)  # the simulator's `--list-lag 2`
    _fetch_lists(sim, instance, res, shop)
    before = _credits(sim)
    result = run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    )
    assert result.success
    assert _credits(sim) - before == len(products) * len(PERIODS)
    stored = _assert_totals_are_the_apis(sim, warehouse_url, products)
    assert set(stored["source"]) == {"api"}
    assert not _check(result, "product_total_sources_agree").passed
    reconciled = table(warehouse_url, "source_reconciliation")
    assert not reconciled["agreed"].all()


def test_a_living_market_is_derived_exactly_too(sim, today, warehouse_url, instance) -> None:
    sim.configure(market="living")
    shop = next(s for s in sim.world.shop_ids() if len(sim.world.shop_products(s, 30, TODAY)) > 8)
    products = [row["id"] for row in sim.world.shop_products(shop, 90, TODAY)][:10]
    instance.add_dynamic_partitions("shop_ids", [shop])
    instance.add_dynamic_partitions("product_ids", products)
    res = resources(sim, warehouse_url)
    _fetch_lists(sim, instance, res, shop)
    before = _credits(sim)
    result = run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    )
    assert result.success
    assert _credits(sim) - before == 3
    stored = _assert_totals_are_the_apis(sim, warehouse_url, products)
    assert (stored["source"] == "shop_products").sum() == len(products) * len(PERIODS) - 3


def test_sample_zero_trusts_the_lists_without_checking(sim, today, warehouse_url, instance):
    shop, products = _shop_with_products(sim, instance)
    res: dict[str, Any] = resources(sim, warehouse_url)
    res["credit_budget"] = CreditBudgetResource(reconcile_sample=0)
    _fetch_lists(sim, instance, res, shop)
    before = _credits(sim)
    result = run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    )
    assert result.success
    assert _credits(sim) == before
    stored = _assert_totals_are_the_apis(sim, warehouse_url, products)
    assert set(stored["source"]) == {"shop_products"}
    assert table(warehouse_url, "source_reconciliation").empty


def test_force_refresh_pays_for_every_partition(sim, today, warehouse_url, instance) -> None:
    shop, products = _shop_with_products(sim, instance, count=3)
    res = resources(sim, warehouse_url)
    _fetch_lists(sim, instance, res, shop)
    before = _credits(sim)
    result = run(
        [product_total],
        instance,
        res,
        key_range=(f"{products[0]}|1", f"{products[-1]}|90"),
        tags={"tiktok/force_refresh": "true"},
    )
    assert result.success
    assert _credits(sim) - before == 12
    assert set(table(warehouse_url, "product_total")["source"]) == {"api"}


def test_the_plan_counts_derived_partitions_and_samples(
    sim, today, warehouse_url, instance, monkeypatch
) -> None:
    shop, products = _shop_with_products(sim, instance)
    res = resources(sim, warehouse_url)
    engine = Warehouse(url=warehouse_url).engine
    lists = [(SOURCES["shop_products"], f"{shop}|{p}") for p in PERIODS]
    totals = [(SOURCES["product_total"], f"{i}|{p}") for i in products for p in PERIODS]
    limits = {"page_size": 50, "rate_per_minute": 0, "monthly_credit_limit": 20_000}

    # Yesterday's lists are known: a plan that fetches today's lists first foresees that
    # they hold the totals, and prices those as derived, but for the samples.
    yesterday = TODAY - dt.timedelta(days=1)
    monkeypatch.setenv("TIKTOK_TODAY", yesterday.isoformat())
    sim.configure(today=yesterday)
    _fetch_lists(sim, instance, res, shop)
    monkeypatch.setenv("TIKTOK_TODAY", TODAY.isoformat())
    sim.configure(today=TODAY)
    ahead = plan_partitions(engine, [*lists, *totals], CreditTerms(**limits))
    (total_row,) = [r for r in ahead.rows if r.asset == "product_total"]
    assert (total_row.derived, total_row.samples, total_row.credits) == (45, 3, 3)
    without_lists = plan_partitions(engine, totals, CreditTerms(**limits))
    assert (without_lists.derived, without_lists.credits) == (0, 48)

    _fetch_lists(sim, instance, res, shop)
    plan = plan_partitions(engine, totals, CreditTerms(**limits))
    before = _credits(sim)
    assert run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    ).success
    assert (plan.derived, plan.samples, plan.credits) == (45, 3, _credits(sim) - before)
    unplanned = plan_partitions(engine, totals, CreditTerms(**limits, reconcile_sample=None))
    assert unplanned.derived == 0


def test_reconciliation_rows_name_both_answers(sim, today, warehouse_url, instance) -> None:
    shop, products = _shop_with_products(sim, instance, count=4)
    res = resources(sim, warehouse_url)
    _fetch_lists(sim, instance, res, shop)
    assert run(
        [product_total], instance, res, key_range=(f"{products[0]}|1", f"{products[-1]}|90")
    ).success
    engine = Warehouse(url=warehouse_url).engine
    with engine.connect() as conn:
        rows = conn.execute(sa.select(source_reconciliation)).all()
        routes = dict(conn.execute(sa.select(api_calls.c.call_id, api_calls.c.route)).all())
    assert len(rows) == 3
    for row in rows:
        assert row.date == TODAY and row.asset == "product_total"
        assert routes[row.derived_call_id] == ep.SHOP_PRODUCTS.route
        assert routes[row.fetched_call_id] == ep.PRODUCT_TOTAL.route
        assert (row.derived_revenue, row.derived_sales) == (row.fetched_revenue, row.fetched_sales)
