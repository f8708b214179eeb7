"""Market reach on the simulator over HTTP: from one shop and a few videos, the sensors track
the videos' creators, the products those creators sell (any shop), the products' profiles,
and then the shops those profiles name, each admitted within the day's credits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions

from tests.conftest import sim_config
from tests.simserver import RunningSim
from tests.tracking.conftest import make_defs, make_resources
from tests.tracking.support import apply, launch, sensor_named, tick
from tiktok_assets.warehouse import Warehouse

pytestmark = pytest.mark.e2e

SENSORS = [
    sensor_named(name)
    for name in (
        "tracked_ids_sensor",
        "creator_discovery_sensor",
        "product_discovery_sensor",
        "shop_discovery_sensor",
    )
]
VIDEOS = 2
SMALL_WORLD = {"shops": 20, "products_per_shop": (3, 6), "creators": 8, "videos": 16}


@pytest.fixture(autouse=True)
def small_world(sim: RunningSim) -> Iterator[None]:
    """A market of 20 shops of 3 to 6 products and 8 creators selling across them (the
    session's simulator, restored to the tests' world after)."""
    sim.configure(**SMALL_WORLD)
    yield
    default = sim_config()
    sim.configure(**{name: getattr(default, name) for name in SMALL_WORLD})


def _seed(sim: RunningSim, tracked_file: Path) -> tuple[str, list[str]]:
    world = sim.world
    shop = world.shop_ids()[0]
    videos = world.video_ids()[:VIDEOS]
    lines = [f'shops: ["{shop}"]', "videos:", *(f'  - "{v}"' for v in videos)]
    tracked_file.write_text("\n".join(lines) + "\n")
    return shop, videos


def _run_until_quiet(
    instance: DagsterInstance, defs: Definitions, res: dict, cursors: dict[str, str | None]
) -> None:
    """Tick every discovery sensor and run what it asks, until a round asks nothing."""
    for _round in range(8):
        requested = 0
        for sensor in SENSORS:
            data = tick(sensor, instance, defs, res, cursors.get(sensor.name))
            cursors[sensor.name] = data.cursor
            apply(instance, data)
            for request in data.run_requests or []:
                result = launch(defs, instance, request)
                assert result.success, f"{request.job_name} {request.tags}"
                requested += 1
        if requested == 0:
            return
    pytest.fail("the sensors kept requesting runs")


def _reachable(sim: RunningSim, seed_shop: str, videos: list[str], today: dt.date) -> set[str]:
    """The seed and every shop of a product the seeded videos' creators sell."""
    world = sim.world
    creators = {world.video(v).creator_id for v in videos}
    products = {p for c in creators for p in world.products_of_creator(c, today)}
    products |= {world.video(v).product_id for v in videos}
    return {seed_shop} | {world.product(p).shop_id for p in products}


def test_one_shop_and_a_few_videos_reach_every_shop_their_creators_sell(
    sim: RunningSim,
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    tracked_file: Path,
    today: dt.date,
) -> None:
    seed_shop, videos = _seed(sim, tracked_file)
    _run_until_quiet(instance, defs, res, {})

    reachable = _reachable(sim, seed_shop, videos, today)
    tracked = set(instance.get_dynamic_partitions("shop_ids"))
    assert len(reachable) > 2 and tracked == reachable  # every one, and nothing else
    wh = Warehouse(url=wh_url)
    profiled = set(wh.read_frame("SELECT DISTINCT id FROM shop_detail")["id"])
    assert profiled == reachable
    world = sim.world
    named = {p for s in reachable for p in world.products_of_shop(s, today)}
    named |= {
        p
        for c in instance.get_dynamic_partitions("creator_ids")
        for p in world.products_of_creator(c, today)
    }
    assert set(instance.get_dynamic_partitions("product_ids")) <= named
    candidates = wh.read_frame("SELECT * FROM discovery_candidates")
    assert set(candidates["entity"]) == {"shop"}
    assert set(candidates["id"]) == reachable
    assert set(candidates["status"]) == {"admitted"}
    found = candidates[candidates["id"] != seed_shop]
    assert (found["products_seen"] >= 1).all() and (found["score"] >= 0).all()
    assert found["reason"].str.startswith("admitted").all()


def test_shop_discovery_off_records_the_candidates_and_admits_none(
    sim: RunningSim,
    instance: DagsterInstance,
    defs: Definitions,
    res: dict,
    wh_url: str,
    tracked_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVER_SHOPS", "0")
    seed_shop, _ = _seed(sim, tracked_file)
    _run_until_quiet(instance, defs, res, {})

    assert list(instance.get_dynamic_partitions("shop_ids")) == [seed_shop]
    candidates = Warehouse(url=wh_url).read_frame("SELECT * FROM discovery_candidates")
    others = candidates[candidates["id"] != seed_shop]
    assert len(others) > 0 and set(others["status"]) == {"waiting"}
    assert others["reason"].str.contains("TIKTOK_DISCOVER_SHOPS=0").all()


def test_discovery_halts_when_the_days_share_is_spent_and_resumes_the_next_day(
    sim: RunningSim,
    instance: DagsterInstance,
    wh_url: str,
    tracked_file: Path,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pacing alone holds discovery back here (no ceiling on the projected monthly cost).
    monkeypatch.setenv("TIKTOK_DISCOVERY_BUDGET_SHARE", "0")
    seed_shop, videos = _seed(sim, tracked_file)
    # A month whose day's share pays the seeds and a few discoveries, not all of them.
    res = make_resources(sim, wh_url, credit_limit=700)
    defs = make_defs(res)
    cursors: dict[str, str | None] = {}
    _run_until_quiet(instance, defs, res, cursors)

    reachable = _reachable(sim, seed_shop, videos, today)
    first_day = set(instance.get_dynamic_partitions("shop_ids"))

    assert first_day < reachable
    wh = Warehouse(url=wh_url)
    waiting = wh.read_frame("SELECT * FROM discovery_candidates WHERE status = 'waiting'")
    assert len(waiting) == len(reachable - first_day)
    assert waiting["reason"].str.contains("the day's share is spent").all()

    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setenv("TIKTOK_TODAY", tomorrow.isoformat())
    sim.configure(today=tomorrow)
    _run_until_quiet(instance, defs, res, cursors)
    assert set(instance.get_dynamic_partitions("shop_ids")) > first_day
