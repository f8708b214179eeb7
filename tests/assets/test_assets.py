"""Each API asset against the simulator over HTTP: exact numbers, idempotent daily
snapshots, batched runs, clear partial failures. Runs on SQLite, and on PostgreSQL when
TIKTOK_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DagsterInstance

from tests.assets.support import (
    assert_row_matches,
    count_rows,
    expected_payload,
    resources,
    run,
    table,
)
from tiktok_assets.assets import api_assets
from tiktok_assets.catalog import SOURCES
from tiktok_assets.economy.journal import run_usage
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.tables import LIST_OWNERS

ASSETS = {a.key.to_user_string(): a for a in api_assets}


def _ids(sim, entity: str) -> list[str]:
    w = sim.world
    return {
        "shop": w.shop_ids,
        "product": w.product_ids,
        "creator": w.creator_ids,
        "video": w.video_ids,
    }[entity]()


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def _partition(sim, instance: DagsterInstance, asset: str) -> tuple[str, str, int | None]:
    source = SOURCES[asset]
    entity_id = _ids(sim, source.entity)[1]
    instance.add_dynamic_partitions(f"{source.entity}_ids", [entity_id])
    period = 7 if source.has_period else None
    key = f"{entity_id}|{period}" if period else entity_id
    return key, entity_id, period


def _stored(warehouse_url: str, asset: str, entity_id: str, period: int | None):
    frame = table(warehouse_url, asset)
    owner = LIST_OWNERS.get(asset, "id")
    frame = frame[frame[owner] == entity_id]
    if period is not None and "period" in frame:
        frame = frame[frame["period"] == period]
    return frame


@pytest.mark.parametrize("asset", sorted(ASSETS))
def test_asset_stores_the_apis_numbers_exactly_once_a_day(
    asset, sim, today, warehouse_url, instance
) -> None:
    key, entity_id, period = _partition(sim, instance, asset)
    res = resources(sim, warehouse_url)

    first = run([ASSETS[asset]], instance, res, partition_key=key)
    assert first.success
    expected = expected_payload(sim.world, asset, entity_id, period, today)
    stored = _stored(warehouse_url, asset, entity_id, period)
    if asset == "product_history":
        assert list(stored["date"].map(dt.date.isoformat)) == [d["date"] for d in expected]
        for (_, row), day in zip(stored.iterrows(), expected, strict=True):
            assert_row_matches(row, day)
    elif asset in ("shop_products", "creator_products"):
        assert list(stored["rank"]) == list(range(1, len(expected) + 1))
        assert list(stored["product_id"]) == [item["id"] for item in expected]
        for (_, row), item in zip(stored.iterrows(), expected, strict=True):
            assert_row_matches(row, item)
    else:
        assert len(stored) == 1
        row = stored.iloc[0]
        assert row["snapshot_date"] == today
        assert_row_matches(row, expected)
        assert row["raw"] == {k: v for k, v in row["raw"].items()}  # raw kept as an object

    materializations = first.asset_materializations_for_node(asset)
    assert [m.partition for m in materializations] == [key]
    assert set(materializations[0].metadata) <= {
        "dagster/row_count",
        "snapshot_date",
        "tiktok/source",
    }
    assert run_usage(Warehouse(url=warehouse_url).engine, first.run_id).credits >= 1
    assert all(c.passed for c in first.get_asset_check_evaluations())

    # The same simulated day again: nothing changes, nothing is duplicated.
    before = _stored(warehouse_url, asset, entity_id, period).drop(columns=["fetched_at"])
    again = run([ASSETS[asset]], instance, res, partition_key=key)
    assert again.success
    after = _stored(warehouse_url, asset, entity_id, period).drop(columns=["fetched_at"])
    assert after.reset_index(drop=True).equals(before.reset_index(drop=True))


@pytest.mark.parametrize("asset", ["shop_total", "product_detail", "creator_products"])
def test_the_next_day_adds_a_snapshot(asset, sim, warehouse_url, instance, monkeypatch) -> None:
    monkeypatch.setenv("TIKTOK_TODAY", "2026-11-24")
    key, entity_id, period = _partition(sim, instance, asset)
    res = resources(sim, warehouse_url)
    assert run([ASSETS[asset]], instance, res, partition_key=key).success
    day_one = _stored(warehouse_url, asset, entity_id, period)

    sim.configure(today=dt.date(2026, 11, 25))
    monkeypatch.setenv("TIKTOK_TODAY", "2026-11-25")
    assert run([ASSETS[asset]], instance, res, partition_key=key).success
    both = _stored(warehouse_url, asset, entity_id, period)
    assert sorted(set(both["snapshot_date"])) == [dt.date(2026, 11, 24), dt.date(2026, 11, 25)]
    assert len(both) == 2 * len(day_one)
    day_two = both[both["snapshot_date"] == dt.date(2026, 11, 25)]
    expected = expected_payload(sim.world, asset, entity_id, period, dt.date(2026, 11, 25))
    first = expected[0] if isinstance(expected, list) else expected
    assert_row_matches(day_two.iloc[0], first)


def test_history_merges_across_fetches(sim, warehouse_url, instance, monkeypatch) -> None:
    monkeypatch.setenv("TIKTOK_TODAY", "2026-11-24")
    product = sim.world.product_ids()[0]
    instance.add_dynamic_partitions("product_ids", [product])
    res = resources(sim, warehouse_url)
    history = ASSETS["product_history"]
    assert run([history], instance, res, key_range=(f"{product}|7", f"{product}|30")).success
    assert count_rows(warehouse_url, "product_history") == 30

    sim.configure(today=dt.date(2026, 11, 26))
    monkeypatch.setenv("TIKTOK_TODAY", "2026-11-26")
    assert run([history], instance, res, partition_key=f"{product}|7").success
    stored = table(warehouse_url, "product_history")
    assert len(stored) == 32  # two new days, the overlapping ones replaced, none duplicated
    assert stored["date"].max() == dt.date(2026, 11, 25)


def test_a_200_partition_batch_is_one_run(sim, today, warehouse_url, instance) -> None:
    products = sim.world.product_ids()[:50]
    instance.add_dynamic_partitions("product_ids", products)
    res = resources(sim, warehouse_url, max_concurrency=16)
    result = run(
        [ASSETS["product_total"]],
        instance,
        res,
        key_range=(f"{products[0]}|1", f"{products[-1]}|90"),
    )
    assert result.success
    assert len(result.asset_materializations_for_node("product_total")) == 200
    stored = table(warehouse_url, "product_total")
    assert len(stored) == 200
    for row in stored.sample(20, random_state=1).itertuples():
        expected = sim.world.product_total(row.id, row.period, today)
        assert (row.revenue, row.sales) == (expected["revenue"], expected["sales"])


def test_an_unknown_id_fails_its_partition_and_keeps_the_others(
    sim, today, warehouse_url, instance
) -> None:
    known = sim.world.shop_ids()[:3]
    unknown = "1000000000000001"
    instance.add_dynamic_partitions("shop_ids", [known[0], unknown, *known[1:]])
    res = resources(sim, warehouse_url)
    result = run(
        [ASSETS["shop_total"]], instance, res, key_range=(f"{known[0]}|30", f"{known[-1]}|30")
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert f"{unknown}|30" in failure.message
    assert "unknown to the API" in failure.message
    materialized = {m.partition for m in result.asset_materializations_for_node("shop_total")}
    assert materialized == {f"{shop}|30" for shop in known}
    assert set(table(warehouse_url, "shop_total")["id"]) == set(known)


def test_a_credit_limit_stops_the_run_and_keeps_what_was_fetched(
    sim, today, warehouse_url, instance
) -> None:
    sim.configure(monthly_credit_limit=5)
    products = sim.world.product_ids()[:12]
    instance.add_dynamic_partitions("product_ids", products)
    res = resources(sim, warehouse_url, max_concurrency=1)
    result = run([ASSETS["product_detail"]], instance, res, key_range=(products[0], products[-1]))
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "Monthly credit limit reached (5)" in message
    assert "stopped at once" in message
    assert sim.ledger()["credit_limited"] == 1  # no retries into the limit, no further calls
    assert len(table(warehouse_url, "product_detail")) == 5
    assert len(result.asset_materializations_for_node("product_detail")) == 5


def test_force_refresh_pays_again_and_the_journal_serves_reruns(
    sim, today, warehouse_url, instance
) -> None:
    shop = sim.world.shop_ids()[0]
    instance.add_dynamic_partitions("shop_ids", [shop])
    res = resources(sim, warehouse_url)
    asset = [ASSETS["shop_detail"]]
    assert run(asset, instance, res, partition_key=shop).success
    assert sim.ledger()["credits_used"] == 1
    assert run(asset, instance, res, partition_key=shop).success
    assert sim.ledger()["credits_used"] == 1
    forced = run(asset, instance, res, partition_key=shop, tags={"tiktok/force_refresh": "true"})
    assert forced.success and sim.ledger()["credits_used"] == 2
    config = {"ops": {"shop_detail": {"config": {"force_refresh": True}}}}
    assert run(asset, instance, res, partition_key=shop, run_config=config).success
    assert sim.ledger()["credits_used"] == 3
