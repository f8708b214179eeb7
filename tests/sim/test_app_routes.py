"""The ten vendor routes and /credits over HTTP: shapes, values, paging."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim._support import API, TODAY, SimClient, make_client
from tiktok_assets.sim.world import World

WORLD = World()
PROPERTY = settings(max_examples=30, deadline=None)


def test_shop_routes(shared_sim: SimClient) -> None:
    sid = shared_sim.world.shop_ids()[0]
    detail = shared_sim.data("POST", f"{API}/shop-detail", json={"id": sid, "country": "US"})
    assert list(detail) == [
        "id",
        "name",
        "country",
        "logo",
        "products_count",
        "creators_count",
        "rating",
    ]
    assert detail == WORLD.shop_detail(sid)
    total = shared_sim.data("POST", f"{API}/shop-detail/total", json={"id": sid, "period": 7})
    assert list(total) == ["revenue", "sales", "avg_price", "conversion_rate", "period"]
    assert total == WORLD.shop_total(sid, 7, TODAY)
    assert shared_sim.data("POST", f"{API}/shop-detail/total", json={"id": sid})["period"] == 30

    response = shared_sim.post(f"{API}/shop-detail/product/queryList", json={"id": sid})
    body = response.json()
    assert list(body) == ["success", "data", "page", "total"]
    assert body["page"] == 1
    assert body["total"] == len(WORLD.products_of_shop(sid))
    assert len(body["data"]) == min(20, body["total"])  # default limit 20
    assert list(body["data"][0]) == ["id", "title", "price", "revenue", "sales"]
    assert body["data"] == WORLD.shop_products(sid, 30, TODAY)[:20]


def test_product_routes(shared_sim: SimClient) -> None:
    pid = shared_sim.world.product_ids()[0]
    detail = shared_sim.data("GET", f"{API}/product-detail/{pid}")
    assert list(detail) == [
        "id",
        "title",
        "shop_id",
        "price",
        "revenue",
        "sales",
        "rating",
        "image",
    ]
    assert detail == WORLD.product_detail(pid, TODAY)
    total = shared_sim.data("POST", f"{API}/product-detail/total", json={"id": pid, "period": 90})
    assert list(total) == ["revenue", "sales", "avg_price", "period"]
    assert total == WORLD.product_total(pid, 90, TODAY)
    response = shared_sim.post(f"{API}/product-detail/history", json={"id": pid, "period": 7})
    body = response.json()
    assert list(body) == ["success", "data"]
    assert body["data"] == WORLD.product_history(pid, 7, TODAY)
    assert list(body["data"][0]) == ["date", "revenue", "sales"]


def test_creator_routes(shared_sim: SimClient) -> None:
    cid = shared_sim.world.creator_ids()[0]
    total = shared_sim.data("POST", f"{API}/creator-detail/total", json={"id": cid, "period": 1})
    assert list(total) == ["revenue", "sales", "videos", "followers", "period"]
    assert total == WORLD.creator_total(cid, 1, TODAY)
    body = shared_sim.post(f"{API}/creator-detail/searchProducts", json={"id": cid}).json()
    assert list(body) == ["success", "data", "page", "total"]
    assert body["total"] == len(WORLD.creator(cid).product_ids)
    assert list(body["data"][0]) == ["id", "title", "revenue", "sales"]
    assert body["data"] == WORLD.creator_products(cid, 30, TODAY)


def test_video_routes(shared_sim: SimClient) -> None:
    vid = shared_sim.world.video_ids()[0]
    detail = shared_sim.data("GET", f"/api/v2/videos/{vid}")
    assert list(detail) == ["id", "caption", "creator_id", "product_id", "posted_at"]
    assert detail == WORLD.video_detail(vid)
    metrics = shared_sim.data("GET", f"/api/v2/videos/{vid}/metrics", params={"period": 7})
    assert list(metrics) == ["views", "likes", "comments", "shares", "period"]
    assert metrics == WORLD.video_metrics(vid, 7, TODAY)
    default = shared_sim.data("GET", f"/api/v2/videos/{vid}/metrics")
    assert default == WORLD.video_metrics(vid, 30, TODAY)


def test_credits_route_counts_itself() -> None:
    with make_client(monthly_credit_limit=10) as sim:
        sim.post(f"{API}/shop-detail", json={"id": sim.world.shop_ids()[0]})
        assert sim.data("GET", f"{API}/credits") == {"used": 2, "limit": 10, "remaining": 8}
        assert sim.data("GET", f"{API}/credits") == {"used": 3, "limit": 10, "remaining": 7}


def test_bearer_key_is_accepted(shared_sim: SimClient) -> None:
    sid = shared_sim.world.shop_ids()[0]
    response = shared_sim.post(
        f"{API}/shop-detail",
        json={"id": sid},
        key=None,
        headers={"Authorization": "Bearer demo-key"},
    )
    assert response.status_code == 200


def test_limit_is_capped_silently(shared_sim: SimClient) -> None:
    sid = max(WORLD.shop_ids(), key=lambda s: len(WORLD.products_of_shop(s)))
    assert len(WORLD.products_of_shop(sid)) > 50
    body = shared_sim.post(
        f"{API}/shop-detail/product/queryList", json={"id": sid, "limit": 500}
    ).json()
    assert len(body["data"]) == 50
    assert body["total"] == len(WORLD.products_of_shop(sid))


def test_page_past_the_end_is_empty(shared_sim: SimClient) -> None:
    cid = WORLD.creator_ids()[0]
    body = shared_sim.post(
        f"{API}/creator-detail/searchProducts", json={"id": cid, "page": 99}
    ).json()
    assert body["success"] is True
    assert body["data"] == []
    assert body["page"] == 99
    assert body["total"] == len(WORLD.creator(cid).product_ids)


@PROPERTY
@given(
    sid=st.sampled_from(WORLD.shop_ids()),
    limit=st.integers(min_value=1, max_value=70),
    period=st.sampled_from([1, 7, 30, 90]),
    sort=st.sampled_from(["revenue", "sales", "price"]),
    order=st.sampled_from(["desc", "asc"]),
)
def test_paging_collects_total_rows_sorted(
    shared_sim: SimClient, sid: str, limit: int, period: int, sort: str, order: str
) -> None:
    rows: list[dict[str, object]] = []
    total = None
    for page in range(1, 100):
        body = shared_sim.post(
            f"{API}/shop-detail/product/queryList",
            json={
                "id": sid,
                "page": page,
                "limit": limit,
                "period": period,
                "sort": sort,
                "order": order,
            },
        ).json()
        total = body["total"]
        rows.extend(body["data"])
        if not body["data"]:
            break
    assert total == len(WORLD.products_of_shop(sid))
    assert len(rows) == total
    assert len({row["id"] for row in rows}) == total
    sign = -1 if order == "desc" else 1
    keys = [(sign * row[sort], row["id"]) for row in rows]  # type: ignore[operator]
    assert keys == sorted(keys)
    assert rows == WORLD.shop_products(sid, period, TODAY, sort=sort, order=order)


@PROPERTY
@given(
    cid=st.sampled_from(WORLD.creator_ids()),
    limit=st.integers(min_value=1, max_value=16),
    order=st.sampled_from(["desc", "asc"]),
)
def test_creator_paging_collects_total_rows(
    shared_sim: SimClient, cid: str, limit: int, order: str
) -> None:
    rows: list[dict[str, object]] = []
    page = 1
    while True:
        body = shared_sim.post(
            f"{API}/creator-detail/searchProducts",
            json={"id": cid, "page": page, "limit": limit, "order": order},
        ).json()
        rows.extend(body["data"])
        if page * limit >= body["total"]:
            break
        page += 1
    assert len(rows) == body["total"] == len({row["id"] for row in rows})
    assert rows == WORLD.creator_products(cid, 30, TODAY, order=order)
