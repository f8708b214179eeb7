"""Batches: contiguous ranges over dynamic keys, chunking, one-call pricing, budget fit."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from dagster import DagsterInstance, materialize

from tests.tracking.conftest import make_resources
from tests.tracking.support import keys_of
from tiktok_assets.assets import shop_products
from tiktok_assets.economy import CostPlan, plan_partitions
from tiktok_assets.economy.planner import AssetCost
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.jobs import FAMILIES
from tiktok_assets.names import BATCH_TAG, LAUNCHED_BY_TAG, RANGE_END_TAG, RANGE_START_TAG
from tiktok_assets.refresh.runs import (
    Batch,
    PricedBatch,
    cadence_batches,
    chunk_size,
    family_batches,
    first_fetch_batches,
    fit_budget,
    period_groups,
    price_batches,
    run_requests,
)
from tiktok_assets.refresh.settings import Cadence

PRODUCT_PERIOD = FAMILIES["product_period_job"]
VIDEO_PERIOD = FAMILIES["video_period_job"]


@pytest.mark.parametrize(
    ("family", "periods", "groups"),
    [
        (PRODUCT_PERIOD, (1, 7), [(1, 7)]),
        (PRODUCT_PERIOD, (30, 90), [(30, 90)]),
        (PRODUCT_PERIOD, (1, 30), [(1,), (30,)]),
        (PRODUCT_PERIOD, (90, 1, 7, 30), [(1, 7, 30, 90)]),
        (PRODUCT_PERIOD, (1, 7, 90), [(1, 7), (90,)]),
        (VIDEO_PERIOD, (30, 90), [(30,)]),
        (VIDEO_PERIOD, (90,), []),
    ],
)
def test_period_groups_are_contiguous_runs(family, periods, groups) -> None:
    assert period_groups(periods, family) == groups


@pytest.mark.parametrize(
    ("count", "chunk", "runs", "size"),
    [(10, 1000, 12, 1000), (25_000, 1000, 12, 2084), (12_000, 1000, 12, 1000), (0, 5, 3, 5)],
)
def test_chunk_size_grows_to_bound_the_runs(count, chunk, runs, size) -> None:
    assert chunk_size(count, chunk, runs) == size


def test_batch_keys() -> None:
    batch = Batch(PRODUCT_PERIOD, ("11", "12", "13"), (30, 90))
    assert (batch.start, batch.end) == ("11|30", "13|90")
    assert batch.partition_keys == ["11|30", "11|90", "12|30", "12|90", "13|30", "13|90"]
    assert batch.size == 6
    assert len(batch.items()) == 12  # product_total and product_history
    detail = Batch(FAMILIES["product_detail_job"], ("11", "12"))
    assert (detail.start, detail.end, detail.partition_keys) == ("11", "12", ["11", "12"])
    with pytest.raises(ValueError, match="do not fit"):
        Batch(PRODUCT_PERIOD, ("11",))


def test_ranges_cover_exactly_the_new_ids_between_existing_ones() -> None:
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("product_ids", ["1", "2", "3"])
        new = [str(i) for i in range(100, 125)]
        instance.add_dynamic_partitions("product_ids", new)
        instance.add_dynamic_partitions("product_ids", ["9", "8"])
        batches = first_fetch_batches("product", new, chunk_ids=10, max_runs=12)
        requests = run_requests(
            fit_budget([PricedBatch(b, _free_plan(b)) for b in batches]),
            launched_by="test",
        )
        detail = [r for r in requests if r.job_name == "product_detail_job"]
        period = [r for r in requests if r.job_name == "product_period_job"]
        assert len(detail) == len(period) == 3
        assert [k for r in detail for k in keys_of(r, instance)] == new
        covered = sorted(k for r in period for k in keys_of(r, instance))
        assert covered == sorted(f"{i}|{p}" for i in new for p in (1, 7, 30, 90))
        assert detail[1].tags[BATCH_TAG] == "product_detail_job 2/3"
        assert detail[1].tags[LAUNCHED_BY_TAG] == "test"
        assert (detail[1].tags[RANGE_START_TAG], detail[1].tags[RANGE_END_TAG]) == ("110", "119")


def _plan(rows: tuple[AssetCost, ...], available: int = 10**9) -> CostPlan:
    return CostPlan(
        rows,
        spent_this_month=0,
        monthly_credit_limit=available,
        credit_reserve=0,
        rate_per_minute=60,
        month_resets_on=dt.date(2026, 12, 1),
    )


def _free_plan(batch: Batch) -> CostPlan:
    return _plan(tuple(AssetCost(a, batch.size, batch.size, 0) for a in batch.family.assets))


def test_cadence_batches_follow_the_cadence() -> None:
    ids = {"shop": ["1", "2"], "product": ["3"], "creator": [], "video": ["4"]}
    daily = Cadence("daily", "0 6 * * *", (1, 7), details=True)
    weekly = Cadence("weekly", "0 7 * * 1", (30, 90), details=False)
    got = {
        (b.family.name, b.start, b.end)
        for b in cadence_batches(daily, ids, chunk_ids=10, max_runs=5)
    }
    assert got == {
        ("shop_detail_job", "1", "2"),
        ("shop_period_job", "1|1", "2|7"),
        ("product_detail_job", "3", "3"),
        ("product_period_job", "3|1", "3|7"),
        ("video_detail_job", "4", "4"),
        ("video_period_job", "4|1", "4|7"),
    }
    got = {
        (b.family.name, b.start, b.end)
        for b in cadence_batches(weekly, ids, chunk_ids=10, max_runs=5)
    }
    assert got == {
        ("shop_period_job", "1|30", "2|90"),
        ("product_period_job", "3|30", "3|90"),
        ("video_period_job", "4|30", "4|30"),
    }


def test_one_planner_call_prices_each_batch_like_its_own_call(sim, warehouse_url, today) -> None:
    """On SQLite and PostgreSQL: the journal is read once for every batch."""
    res = make_resources(sim, warehouse_url)
    shops = sim.world.shop_ids()[:3]
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("shop_ids", shops)
        # one list fetched today: its pages are known (and served by the journal today)
        result = materialize(
            [shop_products], partition_key=f"{shops[0]}|30", resources=res, instance=instance
        )
        assert result.success
    pricing = Pricing.from_resources(res["warehouse"], res["api"], res["credit_budget"])
    batches = family_batches(
        FAMILIES["shop_period_job"], shops, periods=(1, 7, 30, 90), chunk_ids=1, max_runs=99
    ) + family_batches(FAMILIES["shop_detail_job"], shops, chunk_ids=2, max_runs=99)
    priced = price_batches(pricing, batches)
    for p in priced:
        alone = plan_partitions(pricing.engine, p.batch.items(), pricing.terms)
        assert p.plan == alone
    first = priced[0].plan
    assert first.cached >= 1 and first.credits < first.requests


def test_fit_budget_launches_in_order_while_credits_last() -> None:
    family = FAMILIES["product_detail_job"]
    batches = [Batch(family, (str(i),)) for i in range(4)]

    def priced(batch: Batch, credits: int, available: int) -> PricedBatch:
        return PricedBatch(batch, _plan((AssetCost("product_detail", 1, credits, 0),), available))

    launch = fit_budget([priced(b, c, 10) for b, c in zip(batches, [4, 7, 5, 1], strict=True)])
    assert [p.batch.ids for p in launch.launched] == [("0",), ("2",), ("3",)]
    assert [p.batch.ids for p in launch.deferred] == [("1",)]
    assert launch.credits == 10 and launch.credits_available == 10
    assert "NOT launched" in launch.summary() and "product_detail_job 1...1" in launch.summary()
    assert dataclasses.replace(launch, deferred=()).summary().startswith("3 run(s)")
