"""The living market and list lag over HTTP: runtime config, replaying days, 404s."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sim._support import API, TODAY, SimClient, make_client
from tiktok_assets.sim.world import World

LIVING = World(market="living")
DAY = dt.timedelta(days=1)
QUERY_LIST = f"{API}/shop-detail/product/queryList"
SEARCH = f"{API}/creator-detail/searchProducts"


@pytest.fixture
def living() -> Iterator[SimClient]:
    """A living simulator without rate limit (its `today` is moved by the tests)."""
    with make_client(market="living", rate_limit_per_minute=0) as client:
        yield client


def _set(sim: SimClient, **changes: Any) -> list[str]:
    response = sim.post("/_sim/config", json=changes)
    assert response.status_code == 200, response.text
    return list(response.json()["changed"])


def _all_rows(sim: SimClient, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = sim.post(path, json={**body, "page": page, "limit": 50}).json()
        rows.extend(answer["data"])
        if page * 50 >= answer["total"]:
            assert len(rows) == answer["total"]
            return rows
        page += 1


def test_market_is_set_at_runtime() -> None:
    with make_client() as sim:
        assert sim.world.market == "static"
        assert sim.get("/_sim/config").json()["market"] == "static"
        assert _set(sim, market="living") == ["market"]
        assert sim.world.market == "living"
        assert sim.get("/_sim/config").json()["market"] == "living"
        pid = LIVING.launched_products(TODAY)[0]
        detail = sim.data("GET", f"{API}/product-detail/{pid}")
        assert detail == LIVING.product_detail(pid, TODAY)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"market": "frozen"}, "market"),
        ({"market": None}, "market"),
        ({"list_lag_days": -2}, "list_lag_days"),
        ({"list_lag_days": "two"}, "list_lag_days"),
        ({"list_lag_days": 1000}, "list_lag_days"),
    ],
)
def test_bad_market_settings_are_400(changes: dict[str, Any], field: str) -> None:
    with make_client() as sim:
        response = sim.post("/_sim/config", json=changes)
        assert response.status_code == 400
        assert field in response.json()["error"]
        assert sim.config.market == "static"
        assert sim.config.list_lag_days == 0


def test_a_product_appears_on_its_launch_day(living: SimClient) -> None:
    pid = LIVING.launches(TODAY - 30 * DAY, TODAY - DAY)[0]
    launch = LIVING.launch_date(pid)
    sid = LIVING.product(pid).shop_id
    _set(living, today=(launch - DAY).isoformat())
    for method, path, body in (
        ("GET", f"{API}/product-detail/{pid}", None),
        ("POST", f"{API}/product-detail/total", {"id": pid}),
        ("POST", f"{API}/product-detail/history", {"id": pid, "period": 7}),
    ):
        response = living.request(method, path, json=body)
        assert response.status_code == 404
        assert response.json() == {"success": False, "error": f"Product {pid} not found"}
    rows = _all_rows(living, QUERY_LIST, {"id": sid, "period": 7})
    assert pid not in [row["id"] for row in rows]
    assert rows == LIVING.shop_products(sid, 7, launch - DAY)
    count = living.data("POST", f"{API}/shop-detail", json={"id": sid})["products_count"]

    _set(living, today=launch.isoformat())  # takes effect at once
    assert living.data("GET", f"{API}/product-detail/{pid}") == LIVING.product_detail(pid, launch)
    rows = _all_rows(living, QUERY_LIST, {"id": sid, "period": 7})
    assert pid in [row["id"] for row in rows]
    assert rows == LIVING.shop_products(sid, 7, launch)
    detail = living.data("POST", f"{API}/shop-detail", json={"id": sid})
    assert detail["products_count"] > count
    assert detail == LIVING.shop_detail(sid, launch)


def test_a_video_is_found_from_its_posting_day(living: SimClient) -> None:
    vid = next(
        v for v in LIVING.video_ids() if TODAY <= LIVING.video(v).posted_at <= TODAY + 60 * DAY
    )
    posted = LIVING.video(vid).posted_at
    _set(living, today=(posted - DAY).isoformat())
    response = living.get(f"/api/v2/videos/{vid}")
    assert response.status_code == 404
    assert response.json()["error"] == f"Video {vid} not found"
    assert living.get(f"/api/v2/videos/{vid}/metrics").status_code == 404
    _set(living, today=posted.isoformat())
    assert living.data("GET", f"/api/v2/videos/{vid}") == LIVING.video_detail(vid, posted)
    metrics = living.data("GET", f"/api/v2/videos/{vid}/metrics", params={"period": 1})
    assert metrics == LIVING.video_metrics(vid, 1, posted)


def test_replaying_days_in_any_order_matches_the_world(living: SimClient) -> None:
    replay = [TODAY + d * DAY for d in range(-5, 6)]
    random.Random(3).shuffle(replay)
    sid, cid = LIVING.shop_ids()[1], LIVING.creator_ids()[2]
    for day in replay + replay[:3]:
        _set(living, today=day.isoformat())
        assert living.get("/_sim/health").json()["today"] == day.isoformat()
        rows = _all_rows(living, QUERY_LIST, {"id": sid, "period": 90})
        assert rows == LIVING.shop_products(sid, 90, day)
        total = living.data("POST", f"{API}/shop-detail/total", json={"id": sid, "period": 90})
        assert total == LIVING.shop_total(sid, 90, day)
        assert total["revenue"] == sum(row["revenue"] for row in rows)
        for row in rows[:5]:
            answer = living.data(
                "POST", f"{API}/product-detail/total", json={"id": row["id"], "period": 90}
            )
            assert (answer["revenue"], answer["sales"]) == (row["revenue"], row["sales"])
            history = living.data(
                "POST", f"{API}/product-detail/history", json={"id": row["id"], "period": 90}
            )
            assert history == LIVING.product_history(row["id"], 90, day)
        creator_rows = _all_rows(living, SEARCH, {"id": cid, "period": 30})
        assert creator_rows == LIVING.creator_products(cid, 30, day)
        creator_total = living.data(
            "POST", f"{API}/creator-detail/total", json={"id": cid, "period": 30}
        )
        assert creator_total == LIVING.creator_total(cid, 30, day)


def test_list_lag_is_set_at_runtime(living: SimClient) -> None:
    sid, cid = LIVING.shop_ids()[0], LIVING.creator_ids()[0]
    lagged = World(market="living", list_lag_days=2)
    assert _set(living, list_lag_days=2) == ["list_lag_days"]
    assert living.world is not None and living.world.list_lag_days == 2
    rows = _all_rows(living, QUERY_LIST, {"id": sid, "period": 7})
    assert rows == lagged.shop_products(sid, 7, TODAY)
    assert rows != LIVING.shop_products(sid, 7, TODAY)
    earlier = {r["id"]: r for r in LIVING.shop_products(sid, 7, TODAY - 2 * DAY)}
    for row in rows:
        old = earlier.get(row["id"], {"revenue": 0, "sales": 0})
        assert (row["revenue"], row["sales"]) == (old["revenue"], old["sales"])
        total = living.data("POST", f"{API}/product-detail/total", json={"id": row["id"]})
        assert total == LIVING.product_total(row["id"], 30, TODAY)  # totals do not lag
    assert _all_rows(living, SEARCH, {"id": cid}) == lagged.creator_products(cid, 30, TODAY)
    total = living.data("POST", f"{API}/shop-detail/total", json={"id": sid, "period": 7})
    assert total == LIVING.shop_total(sid, 7, TODAY)
    _set(living, list_lag_days=0)
    assert _all_rows(living, QUERY_LIST, {"id": sid, "period": 7}) == LIVING.shop_products(
        sid, 7, TODAY
    )
