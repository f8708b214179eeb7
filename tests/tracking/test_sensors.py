"""The tracking sensors, evaluated as the daemon does (`build_sensor_context` with the
definitions), against a temporary instance and warehouse."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetObservation,
    DagsterInstance,
    Definitions,
    build_sensor_context,
    materialize,
)

from tests.simserver import RunningSim
from tests.tracking.conftest import make_defs, make_resources
from tests.tracking.support import apply, keys_of, land_list, sensor_named, tick
from tiktok_assets.assets import shop_products, video_detail
from tiktok_assets.names import LAUNCHED_BY_TAG, MALFORMED_IDS_KEY, RANGE_END_TAG, RANGE_START_TAG
from tiktok_assets.names import PLANNED_CREDITS_TAG as TAG_CREDITS
from tiktok_assets.tracking.seeds import InvalidIds
from tiktok_assets.warehouse import Warehouse

tracked_ids_sensor = sensor_named("tracked_ids_sensor")
product_discovery_sensor = sensor_named("product_discovery_sensor")
creator_discovery_sensor = sensor_named("creator_discovery_sensor")

ALL_PERIODS = (1, 7, 30, 90)


@pytest.fixture(autouse=True)
def discovery_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK",
        "TIKTOK_DISCOVERY_TOP_N",
        "TIKTOK_DISCOVERY_BUDGET_SHARE",
        "TIKTOK_REFRESH_CHUNK_IDS",
    ):
        monkeypatch.delenv(name, raising=False)


def by_job(data) -> dict[str, list]:
    jobs: dict[str, list] = {}
    for request in data.run_requests or []:
        jobs.setdefault(request.job_name, []).append(request)
    return jobs


def added(data) -> list[str]:
    return [k for r in data.dynamic_partitions_requests or [] for k in r.partition_keys]


# -- product discovery ---------------------------------------------------------------------


def test_first_tick_after_a_shop_list_lands_adds_that_lists_top_products(
    sim: RunningSim,
    instance: DagsterInstance,
    warehouse_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite and PostgreSQL: the rows are read back from the warehouse."""
    monkeypatch.setenv("TIKTOK_DISCOVERY_TOP_N", "5")
    res = make_resources(sim, warehouse_url)
    defs = make_defs(res)
    shop = sim.world.shop_ids()[0]
    instance.add_dynamic_partitions("shop_ids", [shop])
    landed = materialize(
        [shop_products], partition_key=f"{shop}|30", resources=res, instance=instance
    )
    assert landed.success
    rows = Warehouse(url=warehouse_url).read_frame(
        "SELECT product_id, revenue FROM shop_products WHERE shop_id = :s AND period = 30",
        {"s": shop},
    )
    assert len(rows) > 5
    top = list(rows.sort_values("revenue", ascending=False, kind="stable")["product_id"][:5])

    first = tick(product_discovery_sensor, instance, defs, res)
    assert first.dynamic_partitions_requests == [AddDynamicPartitionsRequest("product_ids", top)]
    jobs = by_job(first)
    assert sorted(jobs) == ["product_detail_job", "product_period_job"]
    # the totals, and apart from them the 90-day daily series (TIKTOK_HISTORY_FIRST_PERIOD)
    assert len(jobs["product_detail_job"]) == 1 and len(jobs["product_period_job"]) == 2
    apply(instance, first)
    detail, (period, series) = jobs["product_detail_job"][0], jobs["product_period_job"]
    assert keys_of(detail, instance) == top
    assert keys_of(period, instance) == [f"{i}|{p}" for i in top for p in ALL_PERIODS]
    assert [k.to_user_string() for k in period.asset_selection] == ["product_total"]
    assert keys_of(series, instance) == [f"{i}|90" for i in top]
    assert [k.to_user_string() for k in series.asset_selection] == ["product_history"]
    assert detail.tags[LAUNCHED_BY_TAG] == "product_discovery_sensor"
    assert detail.tags["dagster/sensor_name"] == "product_discovery_sensor"
    # 20 totals; today's shop list for period 30 holds the 5 of period 30: 3 are paid as
    # samples (verifying the list), 2 derived free: 18 credits; and 5 series of 90 days.
    credits = (detail.tags[TAG_CREDITS], period.tags[TAG_CREDITS], series.tags[TAG_CREDITS])
    assert credits == ("5", "18", "5")
    assert first.cursor

    second = tick(product_discovery_sensor, instance, defs, res, first.cursor)
    assert not second.run_requests and not second.dynamic_partitions_requests
    assert "0 new product id(s)" in (second.skip_message or "")
    assert second.cursor == first.cursor


def test_the_per_tick_cap_holds_and_the_rest_comes_next_tick(
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK", "5")
    products = [(str(1000 + i), float(100 - i)) for i in range(12)]
    land_list(instance, wh_url, "shop_products", "77", 30, products, day=today)

    cursor, batches = None, []
    for _ in range(3):
        data = tick(product_discovery_sensor, instance, defs, res, cursor)
        batches.append(added(data))
        apply(instance, data)
        for request in data.run_requests or []:
            assert set(keys_of(request, instance)) <= {
                k for i in added(data) for k in (i, *(f"{i}|{p}" for p in ALL_PERIODS))
            }
        cursor = data.cursor
    assert [len(b) for b in batches] == [5, 5, 2]
    assert [i for b in batches for i in b] == [p for p, _ in products]  # by revenue
    last = tick(product_discovery_sensor, instance, defs, res, cursor)
    assert not last.run_requests and not added(last)


def test_the_cap_does_not_move_the_cursor_past_an_unfinished_list(
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK", "3")
    land_list(instance, wh_url, "shop_products", "77", 30, [("1", 3.0)], day=today)
    land_list(
        instance,
        wh_url,
        "shop_products",
        "78",
        30,
        [("2", 2.0), ("3", 1.0), ("4", 0.5)],
        day=today,
    )
    first = tick(product_discovery_sensor, instance, defs, res)
    assert added(first) == ["1", "2", "3"]
    records = instance.fetch_materializations(shop_products.key, limit=10, ascending=True)
    assert first.cursor == f'{{"shop_products":{records.records[0].storage_id}}}'


def test_ids_already_tracked_are_not_added_again(
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    today: dt.date,
) -> None:
    # as the UI's "add partition" or `tiktok-assets track product` would
    instance.add_dynamic_partitions("product_ids", ["2002", "2004"])
    items = [(f"200{i}", float(10 - i)) for i in range(1, 6)]
    land_list(instance, wh_url, "shop_products", "77", 7, items, day=today)
    data = tick(product_discovery_sensor, instance, defs, res)
    assert added(data) == ["2001", "2003", "2005"]
    apply(instance, data)
    for request in data.run_requests or []:
        ids = {k.split("|")[0] for k in keys_of(request, instance)}
        assert ids == {"2001", "2003", "2005"}
    assert instance.get_dynamic_partitions("product_ids") == [
        "2002",
        "2004",
        "2001",
        "2003",
        "2005",
    ]


def test_a_malformed_id_from_the_api_is_skipped_and_reported(
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    today: dt.date,
    capfd: pytest.CaptureFixture,
) -> None:
    items = [("3001", 9.0), ("30x2", 8.0), ("-3003", 7.0), ("３００４", 6.0), ("3005", 5.0)]
    land_list(instance, wh_url, "shop_products", "77", 30, items, day=today)
    data = tick(product_discovery_sensor, instance, defs, res)
    assert added(data) == ["3001", "3005"]
    (report,) = [e for e in data.asset_events if isinstance(e, AssetObservation)]
    assert report.asset_key.to_user_string() == "shop_products"
    assert report.partition == "77|30"
    assert report.metadata[MALFORMED_IDS_KEY].value == ["'30x2'", "'-3003'", "'３００４'"]
    assert "3 malformed id(s) skipped: '30x2' (shop_products 77|30)" in capfd.readouterr().err

    land_list(instance, wh_url, "shop_products", "77", 7, [("bad", 1.0)], day=today)
    apply(instance, data)
    again = tick(product_discovery_sensor, instance, defs, res, data.cursor)
    assert not added(again) and not again.run_requests
    assert "1 malformed id(s) skipped: 'bad'" in (again.skip_message or "")


def test_video_details_feed_both_product_and_creator_discovery(
    sim: RunningSim, instance: DagsterInstance, defs: Definitions, res: dict
) -> None:
    videos = sim.world.video_ids()[:3]
    instance.add_dynamic_partitions("video_ids", videos)
    for video in videos:
        assert materialize(
            [video_detail], partition_key=video, resources=res, instance=instance
        ).success
    creators = list(dict.fromkeys(sim.world.video(v).creator_id for v in videos))
    products = list(dict.fromkeys(sim.world.video(v).product_id for v in videos))

    data = tick(creator_discovery_sensor, instance, defs, res)
    assert added(data) == creators
    (request,) = data.run_requests
    assert request.job_name == "creator_period_job"
    apply(instance, data)
    assert keys_of(request, instance) == [f"{c}|{p}" for c in creators for p in ALL_PERIODS]

    data = tick(product_discovery_sensor, instance, defs, res)
    assert added(data) == products


def test_the_budget_rule_stops_discovery_at_the_ceiling(
    sim: RunningSim,
    instance: DagsterInstance,
    wh_url: str,
    today: dt.date,
    capfd: pytest.CaptureFixture,
) -> None:
    # 1,000 credits a month: the shop (~170 a month) leaves room for 7 products (~104 each:
    # profile daily, totals 1 and 7 daily and 30 and 90 weekly, the daily series weekly)
    res = make_resources(sim, wh_url, credit_limit=1_000)
    defs = make_defs(res)
    items = [(str(4000 + i), float(50 - i)) for i in range(10)]
    land_list(instance, wh_url, "shop_products", "77", 30, items, day=today)
    data = tick(product_discovery_sensor, instance, defs, res)
    assert added(data) == [str(4000 + i) for i in range(7)]
    assert "3 id(s) NOT tracked" in capfd.readouterr().err
    apply(instance, data)
    again = tick(product_discovery_sensor, instance, defs, res, data.cursor)
    assert not added(again)


def test_first_fetches_the_month_cannot_pay_for_are_not_launched(
    sim: RunningSim,
    instance: DagsterInstance,
    wh_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVERY_BUDGET_SHARE", "0")
    monkeypatch.setenv("TIKTOK_REFRESH_POLICY", "uniform")  # the month's budget, not paced
    res = make_resources(sim, wh_url, credit_limit=6)
    defs = make_defs(res)
    items = [(str(5000 + i), 1.0) for i in range(5)]
    land_list(instance, wh_url, "shop_products", "77", 30, items, day=today)
    data = tick(product_discovery_sensor, instance, defs, res)
    assert len(added(data)) == 5  # tracked: the refresh schedules fetch them next month
    assert [r.job_name for r in data.run_requests] == ["product_detail_job"]  # 5 of 6 credits
    err = capfd.readouterr().err
    assert "NOT launched" in err and "product_period_job" in err


def test_under_the_adaptive_policy_first_fetches_start_with_what_the_day_has_left(
    sim: RunningSim,
    instance: DagsterInstance,
    wh_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVERY_BUDGET_SHARE", "0")
    monkeypatch.setenv("TIKTOK_REFRESH_POLICY", "adaptive")
    days_left = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - today
    res = make_resources(sim, wh_url, credit_limit=3 * days_left.days)  # a day's share: 3
    defs = make_defs(res)
    items = [(str(5000 + i), 1.0) for i in range(5)]
    land_list(instance, wh_url, "shop_products", "77", 30, items, day=today)
    data = tick(product_discovery_sensor, instance, defs, res)
    assert len(added(data)) == 5
    [run] = data.run_requests  # the first part of one batch: 3 profiles of 1 credit
    assert run.job_name == "product_detail_job"
    assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == ("5000", "5002")
    err = capfd.readouterr().err
    assert "NOT launched" in err and "5003...5004" in err


# -- seeds -----------------------------------------------------------------------------------


def test_tracked_ids_sensor_adds_the_files_new_ids_and_requests_their_first_fetch(
    sim: RunningSim,
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    tracked_file: Path,
) -> None:
    shops = sim.world.shop_ids()[:2]
    videos = sim.world.video_ids()[:3]
    instance.add_dynamic_partitions("shop_ids", [shops[0]])  # added in the UI earlier
    tracked_file.write_text(f"shops: {shops}\nvideos: {videos}\n")

    data = tick(tracked_ids_sensor, instance, defs, res)
    assert data.dynamic_partitions_requests == [
        AddDynamicPartitionsRequest("shop_ids", [shops[1]]),
        AddDynamicPartitionsRequest("video_ids", videos),
    ]
    jobs = by_job(data)
    assert sorted(jobs) == [
        "shop_detail_job",
        "shop_period_job",
        "video_detail_job",
        "video_period_job",
    ]
    apply(instance, data)
    assert keys_of(jobs["shop_detail_job"][0], instance) == [shops[1]]
    assert keys_of(jobs["video_period_job"][0], instance) == [
        f"{v}|{p}" for v in videos for p in (1, 7, 30)
    ]
    assert {r.tags[LAUNCHED_BY_TAG] for r in data.run_requests} == {"tracked_ids_sensor"}

    unchanged = tick(tracked_ids_sensor, instance, defs, res, data.cursor)
    assert not unchanged.run_requests and "unchanged" in (unchanged.skip_message or "")

    creator = sim.world.creator_ids()[0]
    tracked_file.write_text(f"shops: {shops}\nvideos: {videos}\ncreators: ['{creator}']\n")
    edited = tick(tracked_ids_sensor, instance, defs, res, data.cursor)
    assert added(edited) == [creator]
    assert [r.job_name for r in edited.run_requests] == ["creator_period_job"]


def test_an_invalid_id_in_the_file_fails_the_tick_and_adds_nothing(
    instance: DagsterInstance, defs: Definitions, res: dict, tracked_file: Path
) -> None:
    tracked_file.write_text('shops: ["123", "12a3"]\nvideos: ["123456789012345678901"]\n')
    with (
        pytest.raises(InvalidIds, match=re.escape("2 invalid id(s): shop '12a3', video")),
        build_sensor_context(instance=instance, definitions=defs, resources=res) as context,
    ):
        tracked_ids_sensor(context)
    assert instance.get_dynamic_partitions("shop_ids") == []


def test_no_tracked_file_skips(
    instance: DagsterInstance, defs: Definitions, res: dict, tracked_file: Path
) -> None:
    data = tick(tracked_ids_sensor, instance, defs, res)
    assert f"no tracked-ids file at {tracked_file}" in (data.skip_message or "")
    tracked_file.write_text("shops: []\n")
    data = tick(tracked_ids_sensor, instance, defs, res)
    assert "all 0 id(s) are already tracked" in (data.skip_message or "")


def test_products_on_a_tracked_shops_list_are_priced_at_their_marginal_cost(
    sim: RunningSim,
    instance: DagsterInstance,
    warehouse_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 300 credits a month: the shop costs ~170, leaving ~130: one product at ~104, but three
    # at ~36, their totals being derived from the shop's list.
    monkeypatch.setenv("TIKTOK_DISCOVERY_TOP_N", "10")
    res = make_resources(sim, warehouse_url, credit_limit=300)
    defs = make_defs(res)
    shop = sim.world.shop_ids()[0]
    instance.add_dynamic_partitions("shop_ids", [shop])
    landed = materialize(
        [shop_products], partition_key=f"{shop}|30", resources=res, instance=instance
    )
    assert landed.success
    data = tick(product_discovery_sensor, instance, defs, res)
    assert len(added(data)) == 3
