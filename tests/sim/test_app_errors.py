"""Errors and behaviours of the app: auth, plans, limits, faults, parameters, admin routes."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from tests.sim._support import API, TODAY, FakeClock, SimClient, make_client
from tiktok_assets.sim.world import World

WORLD = World()
SID, PID = WORLD.shop_ids()[0], WORLD.product_ids()[0]
CID, VID = WORLD.creator_ids()[0], WORLD.video_ids()[0]
CREDIT_MESSAGE = "Monthly credit limit reached (20000). Resets next month."


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error"}
    return str(body["error"])


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer x"}])
def test_missing_or_unknown_key_is_401(sim: SimClient, headers: dict[str, str]) -> None:
    response = sim.post(f"{API}/shop-detail", json={"id": SID}, key=None, headers=headers)
    assert _error(response, 401) == "Unauthorized"
    assert sim.get("/_sim/ledger").json()["unauthorized"] == 1


def test_plan_without_videos_is_403(sim: SimClient) -> None:
    sim.config.update(api_keys={"basic": ["shops", "products", "creators", "credits"]})
    response = sim.get(f"/api/v2/videos/{VID}", key="basic")
    assert _error(response, 403) == "Forbidden: your plan does not include videos"
    assert sim.get(f"{API}/product-detail/{PID}", key="basic").status_code == 200
    assert sim.get(f"{API}/product-detail/{PID}").status_code == 401  # demo-key was replaced


@pytest.mark.parametrize(
    ("method", "path", "payload", "message"),
    [
        ("POST", "/shop-detail", None, "Request body must be a JSON object"),
        ("POST", "/shop-detail", [1], "Request body must be a JSON object"),
        ("POST", "/shop-detail", {}, "Missing required parameter: id"),
        ("POST", "/shop-detail", {"id": "12a"}, "Invalid id: must be a string of digits"),
        ("POST", "/shop-detail", {"id": 123}, "Invalid id: must be a string of digits"),
        ("POST", "/shop-detail", {"id": SID, "country": 1}, "Invalid country: must be a string"),
        ("POST", "/shop-detail/total", {"id": SID, "period": 14}, "Invalid period: 14"),
        ("POST", "/shop-detail/total", {"id": SID, "period": "30"}, "Invalid period"),
        ("POST", "/product-detail/history", {"id": PID, "period": 0}, "Invalid period: 0"),
        ("POST", "/creator-detail/total", {"id": CID, "period": True}, "Invalid period"),
        ("POST", "/shop-detail/product/queryList", {"id": SID, "page": 0}, "Invalid page"),
        ("POST", "/shop-detail/product/queryList", {"id": SID, "limit": 0}, "Invalid limit"),
        ("POST", "/creator-detail/searchProducts", {"id": CID, "limit": -1}, "Invalid limit"),
        ("POST", "/shop-detail/product/queryList", {"id": SID, "sort": "views"}, "Invalid sort"),
        ("POST", "/shop-detail/product/queryList", {"id": SID, "order": "up"}, "Invalid order"),
        ("GET", "/product-detail/abc", None, "Invalid id: must be a string of digits"),
    ],
)
def test_bad_parameters_are_400(
    sim: SimClient, method: str, path: str, payload: Any, message: str
) -> None:
    content = b"not json" if payload is None else None
    response = sim.request(method, API + path, json=payload, content=content)
    assert _error(response, 400).startswith(message)


@pytest.mark.parametrize("query", ["90", "abc", ""])
def test_bad_video_period_is_400(sim: SimClient, query: str) -> None:
    response = sim.get(f"/api/v2/videos/{VID}/metrics?period={query}")
    assert _error(response, 400).startswith("Invalid period")


@pytest.mark.parametrize(
    ("method", "path", "payload", "message"),
    [
        ("POST", f"{API}/shop-detail", {"id": PID}, f"Shop {PID} not found"),
        ("POST", f"{API}/shop-detail/total", {"id": "123"}, "Shop 123 not found"),
        ("GET", f"{API}/product-detail/{SID}", None, f"Product {SID} not found"),
        ("POST", f"{API}/product-detail/history", {"id": "9"}, "Product 9 not found"),
        ("POST", f"{API}/creator-detail/searchProducts", {"id": "9"}, "Creator 9 not found"),
        ("GET", "/api/v2/videos/9/metrics", None, "Video 9 not found"),
    ],
)
def test_unknown_id_is_404(
    sim: SimClient, method: str, path: str, payload: Any, message: str
) -> None:
    assert _error(sim.request(method, path, json=payload), 404) == message


def test_unknown_route_is_json_404(sim: SimClient) -> None:
    assert _error(sim.get("/api/v1/nope"), 404) == "Not found"


def test_credit_limit_and_only_2xx_are_charged(sim: SimClient) -> None:
    sim.config.update(monthly_credit_limit=3)
    assert sim.post(f"{API}/shop-detail", json={"id": SID}).status_code == 200
    assert sim.post(f"{API}/shop-detail", json={"id": "1"}).status_code == 404
    assert sim.post(f"{API}/shop-detail", json={}).status_code == 400
    assert sim.post(f"{API}/shop-detail", json={"id": SID}).status_code == 200
    assert sim.get(f"{API}/credits").json()["data"] == {"used": 3, "limit": 3, "remaining": 0}
    message = _error(sim.post(f"{API}/shop-detail", json={"id": SID}), 429)
    assert message == "Monthly credit limit reached (3). Resets next month."
    account = sim.get("/_sim/ledger").json()["keys"]["demo-key"]
    assert account["credits_used"] == 3
    assert account["credit_limited"] == 1
    assert account["responses"] == {"200": 3, "400": 1, "404": 1, "429": 1}
    assert account["credits_by_route"] == {
        "GET /api/v1/tiktok-shop/credits": 1,
        "POST /api/v1/tiktok-shop/shop-detail": 2,
    }
    sim.post("/_sim/config", json={"today": "2026-12-01"})  # a new month resets credits
    assert sim.post(f"{API}/shop-detail", json={"id": SID}).status_code == 200


def test_credit_limit_message_matches_vendor(sim: SimClient) -> None:
    sim.app.state.sim.ledger.account("demo-key").credits_used = 20000
    sim.app.state.sim.ledger.account("demo-key").month = (TODAY.year, TODAY.month)
    assert _error(sim.get(f"{API}/credits"), 429) == CREDIT_MESSAGE


def test_rate_limit_rolling_window(sim: SimClient, clock: FakeClock) -> None:
    sim.config.update(rate_limit_per_minute=5)
    for _ in range(5):
        assert sim.post(f"{API}/shop-detail", json={"id": SID}).status_code == 200
        clock.advance(1)
    response = sim.post(f"{API}/shop-detail", json={"id": SID})
    assert _error(response, 429) == "Rate limit exceeded: 5 requests per minute"
    assert "retry-after" not in response.headers
    clock.advance(55)  # t=60 since the first request: its slot frees
    assert sim.post(f"{API}/shop-detail", json={"id": SID}).status_code == 200
    assert sim.post(f"{API}/shop-detail", json={"id": SID}).status_code == 429
    account = sim.get("/_sim/ledger").json()["keys"]["demo-key"]
    assert account["rate_limited"] == 2
    assert account["credits_used"] == 6  # rate-limited calls cost nothing


def test_rate_limit_retry_after(sim: SimClient, clock: FakeClock) -> None:
    sim.config.update(rate_limit_per_minute=2, retry_after=True)
    sim.get(f"{API}/credits")
    clock.advance(20.5)
    sim.get(f"{API}/credits")
    response = sim.get(f"{API}/credits")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "40"
    clock.advance(39.5)
    assert sim.get(f"{API}/credits").status_code == 200


def test_rate_limit_counts_failed_requests_too(sim: SimClient) -> None:
    sim.config.update(rate_limit_per_minute=2)
    assert sim.post(f"{API}/shop-detail", json={"id": "1"}).status_code == 404
    assert sim.post(f"{API}/shop-detail", json={}).status_code == 400
    assert sim.get(f"{API}/credits").status_code == 429


def test_error_rate_one_gives_500(sim: SimClient) -> None:
    sim.config.update(error_rate=1.0)
    response = sim.post(f"{API}/shop-detail", json={"id": SID})
    assert _error(response, 500) == "Internal server error"
    assert sim.get("/_sim/ledger").json()["keys"]["demo-key"]["credits_used"] == 0


def test_non_json_rate_gives_html(sim: SimClient) -> None:
    sim.config.update(non_json_rate=1.0)
    response = sim.post(f"{API}/shop-detail", json={"id": SID})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == "<html>Bad gateway</html>"
    assert sim.get("/_sim/ledger").json()["keys"]["demo-key"]["credits_used"] == 0


def test_faults_are_reproducible() -> None:
    def outcomes() -> list[int]:
        with make_client(error_rate=0.3, rate_limit_per_minute=0) as sim:
            return [sim.get(f"{API}/credits").status_code for _ in range(40)]

    first = outcomes()
    assert first == outcomes()
    assert set(first) == {200, 500}


def test_latency_and_hang(sim: SimClient) -> None:
    sim.config.update(latency_ms=30)
    started = time.perf_counter()
    assert sim.get(f"/api/v2/videos/{VID}").status_code == 200
    assert time.perf_counter() - started >= 0.03
    sim.config.update(latency_ms=0, hang_rate=1.0, hang_seconds=0.05)
    started = time.perf_counter()
    assert sim.get(f"/api/v2/videos/{VID}").status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_extra_fields(sim: SimClient) -> None:
    sim.config.update(extra_fields=True)
    detail = sim.data("POST", f"{API}/shop-detail", json={"id": SID})
    assert detail["vendor_score"] == 0.5
    assert isinstance(detail["new_field"], dict)
    rows = sim.data("POST", f"{API}/shop-detail/product/queryList", json={"id": SID})
    assert all("vendor_score" in row and "new_field" in row for row in rows)
    history = sim.data("POST", f"{API}/product-detail/history", json={"id": PID})
    assert all("vendor_score" in row for row in history)
    metrics = sim.data("GET", f"/api/v2/videos/{VID}/metrics")
    assert {k: v for k, v in metrics.items() if k not in ("vendor_score", "new_field")} == (
        WORLD.video_metrics(VID, 30, TODAY)
    )


def test_drop_optional_fields(sim: SimClient) -> None:
    sim.config.update(drop_optional_fields=True)
    shop = sim.data("POST", f"{API}/shop-detail", json={"id": SID})
    assert not {"logo", "rating", "country"} & set(shop)
    assert "products_count" in shop
    product = sim.data("GET", f"{API}/product-detail/{PID}")
    assert not {"image", "rating"} & set(product)
    assert "caption" not in sim.data("GET", f"/api/v2/videos/{VID}")
    creator = sim.data("POST", f"{API}/creator-detail/total", json={"id": CID})
    assert "followers" not in creator
    assert "videos" in creator


def test_admin_routes(sim: SimClient) -> None:
    assert sim.get("/_sim/health", key=None).json() == {"ok": True, "today": "2026-11-24"}
    assert sim.get("/_sim/world", key=None).json() == WORLD.ids()
    response = sim.post("/_sim/config", json={"monthly_credit_limit": 100, "today": "2026-11-25"})
    assert response.status_code == 200
    assert response.json()["changed"] == ["monthly_credit_limit", "today"]
    assert sim.config.today == dt.date(2026, 11, 25)
    total = sim.data("POST", f"{API}/product-detail/total", json={"id": PID, "period": 7})
    assert total == WORLD.product_total(PID, 7, dt.date(2026, 11, 25))
    assert sim.get(f"{API}/credits").json()["data"]["limit"] == 100

    response = sim.post("/_sim/config", json={"api_keys": {"new-key": None}})
    assert response.json()["config"]["api_keys"] == {"ne***": None}  # keys are masked
    assert sim.get(f"{API}/credits", key="new-key").status_code == 200

    assert "bogus" in _error(sim.post("/_sim/config", json={"bogus": 1}), 400)
    _error(sim.post("/_sim/config", json={"error_rate": 7}), 400)
    _error(sim.post("/_sim/config", content=b"[]"), 400)

    assert sim.get("/_sim/ledger").json()["keys"]["new-key"]["credits_used"] == 1
    assert sim.post("/_sim/reset").json() == {"ok": True}
    assert sim.get("/_sim/ledger").json() == {"keys": {}, "unauthorized": 0}


def test_config_change_of_seed_rebuilds_world(sim: SimClient) -> None:
    old = sim.world.ids()
    sim.post("/_sim/config", json={"seed": 8, "shops": 3})
    assert sim.world.ids() == World(seed=8, shops=3).ids()
    assert sim.get("/_sim/world").json()["shops"] != old["shops"]
    assert len(sim.get("/_sim/world").json()["shops"]) == 3
    sid = sim.world.shop_ids()[0]
    assert sim.post(f"{API}/shop-detail", json={"id": sid}).status_code == 200


def test_direct_config_mutation_also_rebuilds_world(sim: SimClient) -> None:
    sim.config.seed = 9
    assert sim.world.ids() == World(seed=9).ids()
