"""The API client: every endpoint against the simulator, paging, retries, errors, secrecy."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import KEY, SECRET_KEY, TODAY, sim_config
from tiktok_assets.api import (
    AsyncTikTokShopClient,
    BadResponse,
    ClientSettings,
    CreditLimitReached,
    Forbidden,
    InvalidId,
    NotFound,
    RateLimited,
    ServerError,
    TikTokShopClient,
    TransportError,
    Unauthorized,
    track_usage,
)
from tiktok_assets.api import client as client_module
from tiktok_assets.sim.app import create_app

ORIGIN = "http://sim.test"


def settings(**changes: object) -> ClientSettings:
    values: dict[str, object] = {
        "origin": ORIGIN,
        "api_key": KEY,
        "backoff_seconds": 0.001,
        "max_backoff_seconds": 0.01,
    }
    values.update(changes)
    return ClientSettings(**values)  # type: ignore[arg-type]


def run_async(coro_factory: Callable[[AsyncTikTokShopClient], object], app, **changes: object):
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with AsyncTikTokShopClient(settings(**changes), transport=transport) as client:
            return await coro_factory(client)  # type: ignore[misc]

    return asyncio.run(go())


@pytest.fixture(scope="module")
def app():
    return create_app(sim_config())


# -- every endpoint parses, with the simulator's numbers -------------------------------------


def test_every_endpoint_parses_with_the_worlds_numbers(app) -> None:
    world = app.state.sim.world
    shop = world.shop_ids()[0]
    product = world.products_of_shop(shop)[0]
    creator = world.creator_ids()[0]
    video = world.video_ids()[0]

    async def calls(c: AsyncTikTokShopClient):
        return {
            "shop_detail": await c.shop_detail(id=shop),
            "shop_total": await c.shop_total(id=shop, period=7),
            "shop_products": await c.shop_products(id=shop, period=30),
            "product_detail": await c.product_detail(id=product),
            "product_total": await c.product_total(id=product, period=90),
            "product_history": await c.product_history(id=product, period=7),
            "creator_total": await c.creator_total(id=creator, period=1),
            "creator_products": await c.creator_products(id=creator, period=30),
            "video_detail": await c.video_detail(id=video),
            "video_metrics": await c.video_metrics(id=video, period=7),
            "credits": await c.credits(),
        }

    with track_usage() as usage:
        got = run_async(calls, app)
    assert got["shop_detail"].as_row() == world.shop_detail(shop)
    assert got["shop_total"].revenue == world.shop_total(shop, 7, TODAY)["revenue"]
    assert got["shop_total"].period == 7
    expected_list = world.shop_products(shop, 30, TODAY)
    assert [p.id for p in got["shop_products"].items] == [p["id"] for p in expected_list]
    assert got["shop_products"].total == len(expected_list)
    assert got["product_detail"].shop_id == shop
    assert got["product_total"].sales == world.product_total(product, 90, TODAY)["sales"]
    history = got["product_history"]
    assert len(history) == 7
    assert [d.date.isoformat() for d in history] == [
        d["date"] for d in world.product_history(product, 7, TODAY)
    ]
    assert got["creator_total"].revenue == world.creator_total(creator, 1, TODAY)["revenue"]
    assert len(got["creator_products"].items) == got["creator_products"].total
    assert got["video_detail"].creator_id == world.video_detail(video)["creator_id"]
    assert got["video_metrics"].views == world.video_metrics(video, 7, TODAY)["views"]
    assert got["credits"].used == usage.credits == usage.requests >= 11


def test_paging_collects_exactly_total_when_the_server_caps_limit() -> None:
    app = create_app(sim_config(max_page_limit=7, shops=3, products_per_shop=(40, 45)))
    world = app.state.sim.world
    shop = world.shop_ids()[0]
    with track_usage() as usage:
        ranked = run_async(lambda c: c.shop_products(id=shop, period=30), app, page_size=50)
    expected = world.shop_products(shop, 30, TODAY)
    assert ranked.total == len(expected) >= 40
    assert [p.id for p in ranked.items] == [p["id"] for p in expected]
    assert usage.requests == -(-len(expected) // 7)


def test_extra_fields_are_kept_and_missing_optional_fields_tolerated() -> None:
    app = create_app(sim_config(extra_fields=True, drop_optional_fields=True))
    shop = app.state.sim.world.shop_ids()[0]
    detail = run_async(lambda c: c.shop_detail(id=shop), app)
    assert detail.logo is None and detail.rating is None
    assert "vendor_score" in detail.extra and "vendor_score" in detail.raw


# -- retries and errors, with scripted answers ------------------------------------------------


class Script:
    """A MockTransport handler answering from a list of (status, body, headers)."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer  # type: ignore[misc]
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)


OK = (200, {"success": True, "data": {"revenue": 10, "sales": 2, "period": 30}}, {})
CREDITS_GONE = (
    429,
    {"success": False, "error": "Monthly credit limit reached (20000). Resets next month."},
    {},
)


def sync_client(script: Script, **changes: object) -> TikTokShopClient:
    return TikTokShopClient(settings(**changes), transport=httpx.MockTransport(script))


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", recorded.append)
    return recorded


@pytest.mark.parametrize(
    "failure",
    [
        (500, {"success": False, "error": "Internal server error"}, {}),
        (503, "<html>unavailable</html>", {}),
        (429, {"success": False, "error": "Rate limit exceeded: 60 requests per minute"}, {}),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
    ],
)
def test_transient_failures_are_retried_then_succeed(failure, sleeps) -> None:
    script = Script(failure, failure, OK)
    with sync_client(script) as client, track_usage() as usage:
        total = client.product_total(id="1729384756102394", period=30)
    assert total.revenue == 10
    assert len(script.requests) == 3
    assert usage.retries == 2 and usage.credits == 1 and usage.requests == 3
    assert len(sleeps) == 2


def test_retries_are_bounded(sleeps) -> None:
    script = Script((500, {"success": False, "error": "Internal server error"}, {}))
    with sync_client(script, max_retries=3) as client, pytest.raises(ServerError) as caught:
        client.shop_total(id="7493920192384910", period=7)
    assert len(script.requests) == 4
    assert "gave up after 4 attempts" in str(caught.value)
    assert "shop-detail/total" in str(caught.value) and "7493920192384910" in str(caught.value)


def test_retry_after_is_honoured(sleeps) -> None:
    limited = (429, {"success": False, "error": "Rate limit exceeded"}, {"Retry-After": "7"})
    script = Script(limited, OK)
    with sync_client(script) as client:
        client.product_total(id="1", period=30)
    assert sleeps == [7.0]


def test_backoff_grows_without_retry_after(sleeps) -> None:
    limited = (429, {"success": False, "error": "Rate limit exceeded"}, {"Retry-After": "0"})
    script = Script(limited, limited, limited, OK)
    with sync_client(script, backoff_seconds=1.0, max_backoff_seconds=100.0) as client:
        client.product_total(id="1", period=30)
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0 and 2.0 <= sleeps[2] <= 4.0


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (CREDITS_GONE, CreditLimitReached),
        ((401, {"success": False, "error": "Unauthorized"}, {}), Unauthorized),
        ((403, {"success": False, "error": "Forbidden: plan"}, {}), Forbidden),
        ((404, {"success": False, "error": "Product 1 not found"}, {}), NotFound),
    ],
)
def test_final_errors_make_exactly_one_request(answer, error, sleeps) -> None:
    script = Script(answer)
    with sync_client(script) as client, pytest.raises(error) as caught:
        client.product_total(id="1729384756102394", period=30)
    assert len(script.requests) == 1
    assert sleeps == []
    text = str(caught.value)
    assert "POST /api/v1/tiktok-shop/product-detail/total" in text
    assert "1729384756102394" in text


def test_credit_limit_message_says_when_credits_reset() -> None:
    with sync_client(Script(CREDITS_GONE)) as client, pytest.raises(CreditLimitReached) as caught:
        client.product_detail(id="1")
    assert "Resets next month" in str(caught.value)
    assert "1st of next month" in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        (200, "<html>Bad gateway</html>", {"content-type": "text/html"}),
        (200, {"success": False, "error": "oops"}, {}),
        (200, {"success": True}, {}),
        (200, {"success": True, "data": {"sales": 3}}, {}),
        (200, {"success": True, "data": {"revenue": "lots", "sales": 3}}, {}),
        (200, {"success": True, "data": [1, 2]}, {}),
    ],
)
def test_malformed_answers_raise_bad_response(answer) -> None:
    with sync_client(Script(answer)) as client, pytest.raises(BadResponse) as caught:
        client.product_total(id="1729384756102394", period=30)
    assert "product-detail/total" in str(caught.value)


def test_slow_server_times_out_then_the_retry_succeeds() -> None:
    app = create_app(sim_config())
    product = app.state.sim.world.product_ids()[0]
    app.state.sim.apply({"hang_rate": 1.0, "hang_seconds": 5.0})
    calls = {"n": 0}

    class OneSlowAnswer(httpx.ASGITransport):
        async def handle_async_request(self, request):
            calls["n"] += 1
            if calls["n"] == 1:
                return await asyncio.wait_for(super().handle_async_request(request), timeout=0.2)
            app.state.sim.apply({"hang_rate": 0.0})
            return await super().handle_async_request(request)

    async def go():
        transport = OneSlowAnswer(app=app)
        async with AsyncTikTokShopClient(
            settings(timeout_seconds=0.2, backoff_seconds=0.001), transport=transport
        ) as client:
            return await client.product_total(id=product, period=7)

    # ASGITransport has no socket timeouts: the first attempt's wait_for stands in for the
    # read timeout and is reported as httpx.ReadTimeout by the wrapper below.
    original = OneSlowAnswer.handle_async_request

    async def as_read_timeout(self, request):
        try:
            return await original(self, request)
        except TimeoutError:
            raise httpx.ReadTimeout("read timed out", request=request) from None

    OneSlowAnswer.handle_async_request = as_read_timeout  # type: ignore[method-assign]
    with track_usage() as usage:
        total = asyncio.run(go())
    assert total.period == 7
    assert calls["n"] == 2 and usage.retries == 1


def test_timeout_on_a_real_server_is_a_transport_error(sim) -> None:
    sim.configure(hang_rate=1.0, hang_seconds=3.0)
    product = sim.world.product_ids()[0]
    client = TikTokShopClient(
        ClientSettings(
            origin=sim.url, api_key=KEY, timeout_seconds=0.3, max_retries=1, backoff_seconds=0.01
        )
    )
    with client, pytest.raises(TransportError) as caught:
        client.product_total(id=product, period=7)
    assert "timed out after 0.3s" in str(caught.value)
    assert "gave up after 2 attempts" in str(caught.value)
    # The server still answers both requests once their 3 s are up: let them reach its ledger
    # now, not after the next test's reset (where they would count as that test's requests).
    deadline = time.monotonic() + 10
    while _answered(sim) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _answered(sim) == 2


def _answered(sim) -> int:
    ledger = sim.state.ledger.to_json()["keys"].get(KEY, {})
    return sum(ledger.get("responses", {}).values())


@pytest.mark.parametrize("bad", ["../1", "12%2F34", "12 34", "9" * 40, "", "abc", 123])
def test_invalid_ids_are_refused_before_any_request(bad) -> None:
    script = Script(OK)
    with sync_client(script) as client, pytest.raises(InvalidId):
        client.product_detail(id=bad)  # type: ignore[arg-type]
    assert script.requests == []


# -- the key never leaks -----------------------------------------------------------------------


def test_the_key_is_absent_from_logs_errors_and_reprs(caplog, sleeps) -> None:
    caplog.set_level(logging.DEBUG)
    echo = (500, {"success": False, "error": f"bad key {SECRET_KEY}"}, {})
    script = Script(echo, httpx.ConnectError(f"refused {SECRET_KEY}"), echo)
    client = sync_client(script, api_key=SECRET_KEY, max_retries=2)
    texts = [repr(client), repr(client.settings)]
    with client, pytest.raises(ServerError) as caught:
        client.product_total(id="1", period=30)
    assert script.requests[0].headers["X-API-Key"] == SECRET_KEY
    texts += [str(caught.value), repr(caught.value)]
    texts += [r.getMessage() for r in caplog.records]
    assert texts and all(SECRET_KEY not in t for t in texts)
    assert any("***" in t for t in texts)


def test_the_resource_repr_hides_the_key() -> None:
    from tiktok_assets.api.resource import TikTokShopAPI

    resource = TikTokShopAPI(api_key=SECRET_KEY, origin=ORIGIN)
    assert SECRET_KEY not in repr(resource) and SECRET_KEY not in str(resource)
    assert SECRET_KEY not in repr(resource.settings())


def test_rate_429_error_type_is_retryable() -> None:
    assert RateLimited.retryable and not CreditLimitReached.retryable


RATE_LIMITED = {"success": False, "error": "Rate limit exceeded"}
SENT = "Tue, 24 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": " 12 "}, 12.0),
        ({"Retry-After": "Tue, 24 Nov 2026 10:00:30 GMT", "Date": SENT}, 30.0),  # IMF-fixdate
        ({"Retry-After": "Tuesday, 24-Nov-26 10:01:00 GMT", "Date": SENT}, 60.0),  # RFC 850
        ({"Retry-After": "Tue Nov 24 10:00:05 2026", "Date": SENT}, 5.0),  # asctime
    ],
)
def test_retry_after_in_seconds_or_as_a_date_of_the_response(sleeps, headers, expected) -> None:
    script = Script((429, RATE_LIMITED, headers), OK)
    with sync_client(script, max_retry_after_seconds=1_000.0) as client:
        client.product_total(id="1", period=30)
    assert sleeps == [pytest.approx(expected)]


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "Tue, 24 Nov 2026 09:59:00 GMT", "Date": SENT},  # already past
        {"Retry-After": "Tue, 24 Nov 2026 10:00:00 GMT", "Date": SENT},  # now: no wait
        {"Retry-After": "soon"},
        {"Retry-After": "Tue, 31 Feb 2026 10:00:00 GMT"},  # no such day
        {"Retry-After": "-5"},
        {"Retry-After": ""},
    ],
)
def test_a_past_or_unparseable_retry_after_is_no_hint(sleeps, headers) -> None:
    script = Script((429, RATE_LIMITED, headers), OK)
    with sync_client(script, backoff_seconds=1.0, max_backoff_seconds=1.0) as client:
        client.product_total(id="1", period=30)
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # the client's own backoff


def test_a_retry_after_date_without_a_date_header_uses_the_local_clock(sleeps) -> None:
    in_40s = email.utils.formatdate(time.time() + 40.0, usegmt=True)
    script = Script((429, RATE_LIMITED, {"Retry-After": in_40s}), OK)
    with sync_client(script) as client:
        client.product_total(id="1", period=30)
    assert len(sleeps) == 1 and 37.0 < sleeps[0] <= 40.0


def test_the_response_date_not_the_local_clock_measures_a_retry_after_date(sleeps) -> None:
    """A server whose clock is an hour behind ours: its 20 s are still 20 s."""
    server_now = time.time() - 3_600.0
    headers = {
        "Date": email.utils.formatdate(server_now, usegmt=True),
        "Retry-After": email.utils.formatdate(server_now + 20.0, usegmt=True),
    }
    script = Script((429, RATE_LIMITED, headers), OK)
    with sync_client(script) as client:
        client.product_total(id="1", period=30)
    assert sleeps == [pytest.approx(20.0)]


def test_a_retry_after_date_is_capped_like_seconds(sleeps) -> None:
    headers = {"Retry-After": "Wed, 25 Nov 2026 10:00:00 GMT", "Date": SENT}  # a day later
    script = Script((429, RATE_LIMITED, headers), OK)
    with sync_client(script, max_retry_after_seconds=120.0) as client:
        client.product_total(id="1", period=30)
    assert sleeps == [120.0]
