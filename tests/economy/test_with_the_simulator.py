"""The credit economy end to end, against the simulator over HTTP: a credit limit reached
mid-backfill, a re-run that pays only what is missing, a plan that equals the spend, and
parallel runs that share one rate limit without a single 429."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from dagster import DagsterInstance

from tests.assets.support import resources, run, table
from tests.conftest import TODAY
from tiktok_assets.assets.products import product_total as product_total_asset
from tiktok_assets.assets.shops import shop_products as shop_products_asset
from tiktok_assets.definitions import defs as code_location
from tiktok_assets.economy import plan_selection
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.economy.journal import run_usage
from tiktok_assets.warehouse import Warehouse


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def test_a_backfill_stopped_by_the_credit_limit_pays_only_the_rest_on_rerun(
    sim, today, warehouse_url, instance
) -> None:
    sim.configure(monthly_credit_limit=30)
    products = sim.world.product_ids()[:10]
    instance.add_dynamic_partitions("product_ids", products)
    key_range = (f"{products[0]}|1", f"{products[-1]}|90")  # 10 ids x 4 periods = 40
    res = resources(sim, warehouse_url)

    stopped = run([product_total_asset], instance, res, key_range=key_range)
    assert not stopped.success
    message = stopped.get_step_failure_events()[0].step_failure_data.error.message
    assert "Monthly credit limit reached (30)" in message
    assert "1st of next month" in message
    assert sim.ledger()["credits_used"] == 30
    assert len(table(warehouse_url, "product_total")) == 30

    sim.configure(monthly_credit_limit=1000)
    rerun = run([product_total_asset], instance, res, key_range=key_range)
    assert rerun.success
    assert sim.ledger()["credits_used"] == 40  # exactly 10 more
    stored = table(warehouse_url, "product_total")
    assert len(stored) == 40
    for row in stored.itertuples():
        expected = sim.world.product_total(row.id, row.period, today)
        assert (row.revenue, row.sales, row.avg_price) == (
            expected["revenue"],
            expected["sales"],
            expected["avg_price"],
        )
    assert run_usage(Warehouse(url=warehouse_url).engine, rerun.run_id).cache_hits == 30


def test_the_plan_equals_what_materializing_spends(
    sim, warehouse_url, instance, monkeypatch
) -> None:
    monkeypatch.setenv("TIKTOK_TODAY", "2026-11-23")
    sim.configure(today=dt.date(2026, 11, 23), max_page_limit=10)
    shops = sim.world.shop_ids()[:3]
    products = [p for shop in shops for p in sim.world.products_of_shop(shop)][:6]
    instance.add_dynamic_partitions("shop_ids", shops)
    instance.add_dynamic_partitions("product_ids", products)
    res = resources(sim, warehouse_url, page_size=10)
    shop_range = (f"{shops[0]}|1", f"{shops[-1]}|90")
    assert run([shop_products_asset], instance, res, key_range=shop_range).success

    # The next day: list lengths are known from yesterday; some product totals are
    # already fetched today, so the journal serves them.
    monkeypatch.setenv("TIKTOK_TODAY", TODAY.isoformat())
    sim.configure(today=TODAY)
    early = (f"{products[0]}|30", f"{products[1]}|30")
    assert run([product_total_asset], instance, res, key_range=early).success
    engine = Warehouse(url=warehouse_url).engine

    plan = plan_selection(
        code_location(),
        instance,
        engine,
        select="key:shop_products or key:product_total",
        partitions=None,
        terms=CreditTerms(page_size=10, rate_per_minute=0, monthly_credit_limit=20_000),
    )
    before = sim.ledger()
    assert run([shop_products_asset], instance, res, key_range=shop_range).success
    product_range = (f"{products[0]}|1", f"{products[-1]}|90")
    assert run([product_total_asset], instance, res, key_range=product_range).success
    after = sim.ledger()

    spent_requests = after["requests"] - before["requests"]
    spent_credits = after["credits_used"] - before["credits_used"]
    assert plan.cached == 2
    assert (plan.requests - plan.cached, plan.credits) == (spent_requests, spent_credits)
    assert plan.credits > len(shops) * 4  # lists of more than one page were counted


@pytest.mark.e2e
def test_three_runs_together_share_the_rate_limit_without_a_429(
    sim, today, warehouse_url, monkeypatch
) -> None:
    if not warehouse_url.startswith("sqlite"):
        pytest.skip("one backend is enough for this minute-long test")
    sim.configure(rate_limit_per_minute=120)
    products = sim.world.product_ids()[:36]
    groups = [products[0:12], products[12:24], products[24:36]]  # 3 runs x 48 requests
    failures: list[BaseException] = []
    results = []

    def one_run(ids: list[str]) -> None:
        try:
            with DagsterInstance.ephemeral() as inst:
                inst.add_dynamic_partitions("product_ids", ids)
                res = resources(sim, warehouse_url, rate_per_minute=120)
                results.append(
                    run(
                        [product_total_asset], inst, res, key_range=(f"{ids[0]}|1", f"{ids[-1]}|90")
                    )
                )
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=one_run, args=(ids,)) for ids in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=100)
    assert not failures
    assert len(results) == 3 and all(r.success for r in results)
    ledger = sim.ledger()
    assert ledger["rate_limited"] == 0
    assert ledger["credits_used"] == 144
    assert len(table(warehouse_url, "product_total")) == 144
