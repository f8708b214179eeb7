"""The request journal: every attempt recorded, fresh answers served again free, no key stored."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.economy.fakes import BODY, SHOP, T0, call
from tiktok_assets.api import endpoints as ep
from tiktok_assets.api.client import ClientSettings, TikTokShopClient, track_usage
from tiktok_assets.api.errors import NotFound
from tiktok_assets.economy import open_economy
from tiktok_assets.economy.journal import (
    SqlRequestJournal,
    credits_spent,
    fresh_keys,
    is_fresh,
    last_known_total,
    spend_by_day,
)
from tiktok_assets.warehouse.tables import api_calls, rate_limit_buckets, rate_limit_slots

SECRET_KEY = "sk-live-ECONOMY-7f3a9c1e5b-TESTKEY"
"""A distinctive key that must appear in no stored value."""


def rows(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(api_calls).order_by(api_calls.c.call_id))
        return [dict(r._mapping) for r in result]


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setenv("TIKTOK_TODAY", "2026-03-10")
    return dt.date(2026, 3, 10)


def test_record_then_lookup_serves_the_body_and_logs_a_free_hit(
    engine: sa.Engine, pinned_today: dt.date
) -> None:
    journal = SqlRequestJournal(engine, run_id="run-1")
    request = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)
    assert journal.lookup(request) is None
    journal.record(call(request))
    assert journal.lookup(request) == BODY
    assert journal.lookup(ep.build_request(ep.SHOP_TOTAL, SHOP, period=7)) is None

    paid, hit = rows(engine)
    assert paid["route"] == "POST /api/v1/tiktok-shop/shop-detail/total"
    assert json.loads(paid["params"]) == {"id": SHOP, "period": 30}
    assert (paid["entity_id"], paid["status"], paid["credits"], paid["cache_hit"]) == (
        SHOP,
        200,
        1,
        False,
    )
    assert paid["duration_ms"] == pytest.approx(12.0)
    assert (paid["body"], paid["call_date"], paid["run_id"]) == (BODY, pinned_today, "run-1")
    assert (hit["status"], hit["credits"], hit["cache_hit"], hit["body"]) == (200, 0, True, None)
    assert (hit["params"], hit["run_id"], hit["call_date"]) == (
        paid["params"],
        "run-1",
        pinned_today,
    )
    assert credits_spent(engine, pinned_today) == 1


def test_freshness_is_the_day_by_default(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SqlRequestJournal(engine, run_id=None)
    request = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)
    monkeypatch.setenv("TIKTOK_TODAY", "2026-03-10")
    journal.record(call(request))
    assert is_fresh(engine, request)
    monkeypatch.setenv("TIKTOK_TODAY", "2026-03-11")
    assert not is_fresh(engine, request)
    assert journal.lookup(request) is None
    journal.record(call(request, body={**BODY, "data": {"revenue": 1, "sales": 1}}))
    assert journal.lookup(request)["data"] == {"revenue": 1, "sales": 1}  # the newest


def test_max_age_replaces_the_day(engine: sa.Engine, pinned_today: dt.date) -> None:
    now = [T0]
    journal = SqlRequestJournal(engine, run_id=None, max_age=dt.timedelta(hours=1))
    journal._now = lambda: now[0]
    request = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)
    journal.record(call(request))
    now[0] = T0 + dt.timedelta(minutes=59)
    assert journal.lookup(request) == BODY
    now[0] = T0 + dt.timedelta(minutes=61)
    assert journal.lookup(request) is None
    assert is_fresh(engine, request, max_age=dt.timedelta(hours=2), now=now[0])
    assert not is_fresh(engine, request, max_age=dt.timedelta(hours=1), now=now[0])


def test_failures_are_recorded_but_never_served(engine: sa.Engine, pinned_today: dt.date) -> None:
    journal = SqlRequestJournal(engine, run_id="r")
    request = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)
    journal.record(call(request, status=500, body=None, error="HTTP 500", attempt=1))
    journal.record(call(request, status=429, body=None, error="rate limited", attempt=2))
    journal.record(call(request, status=None, body=None, error="timed out", attempt=3))
    # a 2xx the client rejected (e.g. success: false): its body is not kept
    journal.record(call(request, status=200, body={"success": False}, error="success: false"))
    assert journal.lookup(request) is None
    assert not is_fresh(engine, request)
    assert fresh_keys(engine) == set()
    recorded = rows(engine)
    assert [r["status"] for r in recorded] == [500, 429, None, 200]
    assert [r["attempt"] for r in recorded] == [1, 2, 3, 1]
    assert all(r["body"] is None for r in recorded)
    assert recorded[0]["error"] == "HTTP 500"
    day = spend_by_day(engine, pinned_today)
    assert day.to_dict("records") == [
        {"date": pinned_today, "requests": 4, "credits": 1, "cache_hits": 0, "errors": 4}
    ]


def test_is_fresh_records_nothing(engine: sa.Engine, pinned_today: dt.date) -> None:
    journal = SqlRequestJournal(engine, run_id=None)
    request = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)
    journal.record(call(request))
    assert is_fresh(engine, request)
    assert fresh_keys(engine) == {(request.route, request.params_key)}
    assert len(rows(engine)) == 1


def test_spend_by_day_and_month(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = SqlRequestJournal(engine, run_id=None)
    request = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)
    for day, paid in (("2026-02-28", 2), ("2026-03-01", 3), ("2026-03-02", 1)):
        monkeypatch.setenv("TIKTOK_TODAY", day)
        for _ in range(paid):
            journal.record(call(request))
        journal.lookup(request)
    assert credits_spent(engine, dt.date(2026, 2, 14)) == 2
    assert credits_spent(engine, dt.date(2026, 3, 31)) == 4
    assert credits_spent(engine, dt.date(2026, 4, 1)) == 0
    frame = spend_by_day(engine, dt.date(2026, 3, 1))
    assert list(frame.columns) == ["date", "requests", "credits", "cache_hits", "errors"]
    assert frame.to_dict("records") == [
        {"date": dt.date(2026, 3, 1), "requests": 3, "credits": 3, "cache_hits": 1, "errors": 0},
        {"date": dt.date(2026, 3, 2), "requests": 1, "credits": 1, "cache_hits": 1, "errors": 0},
    ]
    assert spend_by_day(engine, dt.date(2027, 1, 1)).empty


def test_last_known_total_reads_the_newest_list_answer(
    engine: sa.Engine, pinned_today: dt.date
) -> None:
    journal = SqlRequestJournal(engine, run_id=None)
    route = ep.SHOP_PRODUCTS.route

    def page(period: int, total: int, page: int = 1) -> None:
        request = ep.build_request(
            ep.SHOP_PRODUCTS, SHOP, page=page, limit=50, period=period, sort="revenue"
        )
        body = {"success": True, "data": [{"id": "1"}], "page": page, "total": total}
        journal.record(call(request, body=body))

    assert last_known_total(engine, route, SHOP, 30) is None
    page(30, 84)
    page(7, 12)
    assert last_known_total(engine, route, SHOP, 30) == 84
    assert last_known_total(engine, route, SHOP, 7) == 12
    page(30, 90, page=2)
    assert last_known_total(engine, route, SHOP, 30) == 90
    assert last_known_total(engine, route, "1234", 30) is None
    assert last_known_total(engine, route, SHOP, 90) is None


# -- through the real client -----------------------------------------------------------------


class FakeApi:
    """Answers like the vendor; echoes the key in one error, as a careless server might."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.failed_once = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["X-API-Key"] == SECRET_KEY
        path = request.url.path
        if path.endswith("/shop-detail/total"):
            if not self.failed_once:
                self.failed_once = True
                key = request.headers["X-API-Key"]
                return httpx.Response(500, json={"success": False, "error": f"boom for {key}"})
            return httpx.Response(200, json={"success": True, "data": BODY["data"]})
        if path.endswith("/product/queryList"):
            page = json.loads(request.content)["page"]
            data = [{"id": str(page * 10 + i), "title": "t"} for i in range(2)]
            return httpx.Response(
                200, json={"success": True, "data": data, "page": page, "total": 4}
            )
        return httpx.Response(404, json={"success": False, "error": "Product not found"})


def _run(engine: sa.Engine, api: FakeApi, run_id: str) -> None:
    settings = ClientSettings(
        origin="http://api.test",
        api_key=SECRET_KEY,
        backoff_seconds=0.001,
        max_backoff_seconds=0.002,
        page_size=2,
    )
    hooks = open_economy(
        engine,
        bucket="test-key",
        rate_per_minute=60,
        run_id=run_id,
        monthly_credit_limit=100,
        credit_reserve=0,
    )
    with TikTokShopClient(settings, transport=httpx.MockTransport(api), **hooks) as client:
        assert client.shop_total(id=SHOP, period=30).sales == 3
        assert client.shop_products(id=SHOP, period=30).total == 4
        with pytest.raises(NotFound):
            client.product_detail(id="1234567")
    assert hooks["budget"].spent() == credits_spent(engine, dt.date(2026, 3, 10))


def test_the_key_is_never_stored(engine: sa.Engine, pinned_today: dt.date) -> None:
    api = FakeApi()
    _run(engine, api, "run-1")
    assert len(api.requests) == 5  # 500 + 200, two pages, one 404
    with track_usage() as usage:
        _run(engine, api, "run-2")
    assert len(api.requests) == 6  # only the 404 again: the rest came from the journal
    assert (usage.cache_hits, usage.credits) == (3, 0)

    recorded = rows(engine)
    assert [(r["status"], r["credits"], r["cache_hit"]) for r in recorded] == [
        (500, 0, False),
        (200, 1, False),
        (200, 1, False),
        (200, 1, False),
        (404, 0, False),
        (200, 0, True),
        (200, 0, True),
        (200, 0, True),
        (404, 0, False),
    ]
    assert "***" in recorded[0]["error"]
    with engine.connect() as conn:
        every_value = [
            json.dumps(value, default=str)
            for table in (api_calls, rate_limit_slots, rate_limit_buckets)
            for row in conn.execute(sa.select(table))
            for value in row
        ]
    assert every_value and not [v for v in every_value if SECRET_KEY in v]
    assert not [v for v in every_value if "7f3a9c1e5b" in v]
