"""End to end on the simulator: track one shop and the videos of its products, let the
sensors tick and their runs execute until nothing new appears, then read the warehouse.

On SQLite: the discovery SQL is exercised on PostgreSQL too by the sensor and discovery
tests, and the assets' writes by tests/assets."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions

from tests.simserver import RunningSim
from tests.tracking.support import apply, launch, sensor_named, tick
from tiktok_assets.warehouse import Warehouse

pytestmark = pytest.mark.e2e

tracked_ids_sensor = sensor_named("tracked_ids_sensor")
product_discovery_sensor = sensor_named("product_discovery_sensor")
creator_discovery_sensor = sensor_named("creator_discovery_sensor")

TOP_N = 2
VIDEOS = 3


def test_tracking_one_shop_fills_products_and_creators(
    sim: RunningSim,
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    tracked_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVERY_TOP_N", str(TOP_N))
    world = sim.world
    shop = world.shop_ids()[0]
    products = set(world.products_of_shop(shop))
    videos = [v for v in world.video_ids() if world.video(v).product_id in products][:VIDEOS]
    assert len(videos) == VIDEOS, "the test world should have videos of this shop's products"
    lines = [f'shops: ["{shop}"]', "videos:", *(f'  - "{v}"' for v in videos)]
    tracked_file.write_text("\n".join(lines) + "\n")

    sensors = [tracked_ids_sensor, product_discovery_sensor, creator_discovery_sensor]
    cursors: dict[str, str | None] = {s.name: None for s in sensors}
    launched: list[str] = []
    for _round in range(6):
        requested = 0
        for sensor in sensors:
            data = tick(sensor, instance, defs, res, cursors[sensor.name])
            cursors[sensor.name] = data.cursor
            apply(instance, data)
            for request in data.run_requests or []:
                result = launch(defs, instance, request)
                assert result.success, f"{request.job_name} {request.tags}"
                launched.append(request.job_name or "")
                requested += 1
        if requested == 0:
            break
    else:
        pytest.fail("the sensors kept requesting runs")

    wh = Warehouse(url=wh_url)
    shop_list = wh.read_frame(
        "SELECT product_id, revenue FROM shop_products WHERE shop_id = :s AND period = 30",
        {"s": shop},
    )
    top = set(shop_list.sort_values("revenue", ascending=False).head(TOP_N)["product_id"])
    assert len(top) == TOP_N
    tracked_products = set(instance.get_dynamic_partitions("product_ids"))
    assert top <= tracked_products
    product_rows = set(wh.read_frame("SELECT DISTINCT id FROM product_total")["id"])
    assert top <= product_rows

    creators = {world.video(v).creator_id for v in videos}
    assert set(instance.get_dynamic_partitions("creator_ids")) == creators
    creator_rows = wh.read_frame("SELECT id, period FROM creator_total")
    assert set(creator_rows["id"]) == creators
    assert set(creator_rows["period"]) == {1, 7, 30, 90}

    # the videos' products (any shop) are tracked too, and every run was batched per job
    assert {world.video(v).product_id for v in videos} <= tracked_products
    # (product totals and the products' 90-day daily series go out as runs of their own)
    assert launched.count("product_period_job") <= 6
    series = wh.read_frame("SELECT id, COUNT(*) AS days FROM product_history GROUP BY id")
    assert set(series["id"]) == tracked_products and set(series["days"]) == {90}
