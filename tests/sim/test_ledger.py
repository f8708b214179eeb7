"""Ledger: rolling rate window, monthly credits, counters."""

from __future__ import annotations

from tests.sim._support import FakeClock
from tiktok_assets.sim.ledger import Ledger, retry_after_seconds


def test_rolling_window_admits_per_minute() -> None:
    clock = FakeClock()
    ledger = Ledger(clock)
    for _ in range(3):
        assert ledger.admit("k", 3) is None
        clock.advance(10)
    # requests at t=0, 10, 20; now t=30: the first frees at t=60
    assert ledger.admit("k", 3) == 30
    clock.advance(29.5)
    assert ledger.admit("k", 3) == 0.5
    clock.advance(0.5)
    assert ledger.admit("k", 3) is None
    assert ledger.account("k").rate_limited == 2
    assert ledger.admit("other", 3) is None  # per key


def test_zero_disables_rate_limit() -> None:
    ledger = Ledger(FakeClock())
    assert all(ledger.admit("k", 0) is None for _ in range(500))


def test_credits_roll_over_with_the_month() -> None:
    ledger = Ledger(FakeClock())
    ledger.charge("k", "GET /x", (2026, 11))
    ledger.charge("k", "GET /x", (2026, 11))
    assert ledger.credits_used("k", (2026, 11)) == 2
    assert ledger.credits_used("k", (2026, 12)) == 0
    ledger.charge("k", "GET /y", (2026, 12))
    account = ledger.to_json()["keys"]["k"]
    assert account["credits_used"] == 1
    assert account["month"] == "2026-12"
    assert account["credits_by_route"] == {"GET /x": 2, "GET /y": 1}


def test_counters_and_reset() -> None:
    ledger = Ledger(FakeClock())
    ledger.record_request("k")
    ledger.record_response("k", 200)
    ledger.record_response("k", 404)
    ledger.record_response(None, 401)
    ledger.credit_limited("k")
    snapshot = ledger.to_json()
    assert snapshot["unauthorized"] == 1
    assert snapshot["keys"]["k"]["responses"] == {"200": 1, "404": 1}
    assert snapshot["keys"]["k"]["requests"] == 1
    assert snapshot["keys"]["k"]["credit_limited"] == 1
    ledger.reset()
    assert ledger.to_json() == {"keys": {}, "unauthorized": 0}


def test_retry_after_seconds() -> None:
    assert retry_after_seconds(0.0) == 1
    assert retry_after_seconds(0.2) == 1
    assert retry_after_seconds(30.0) == 30
    assert retry_after_seconds(30.1) == 31
