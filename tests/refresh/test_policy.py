"""The adaptive policy's choice, pure: burst, floor, cap, free routes, the allowance, value."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from tiktok_assets.refresh.policy import (
    MAX_RATE,
    Decision,
    Observed,
    PolicySettings,
    Route,
    change_rate,
    choose,
    value,
)

TODAY = dt.date(2026, 11, 24)
DAY = dt.timedelta(days=1)
SETTINGS = PolicySettings(floor_days=14)


def seen(
    entity_id: str,
    *,
    days_ago: int | None,
    asset: str = "product_total",
    period: int = 7,
    rate: float = 0.5,
    weight: float = 0.1,
    cost: int = 1,
    free_with: Route | None = None,
) -> Observed:
    last = None if days_ago is None else TODAY - days_ago * DAY
    return Observed(Route(asset, entity_id, period), last, rate, weight, cost, free_with)


def decide(observed: list[Observed], allowance: int) -> dict[str, Decision]:
    decisions = choose(observed, today=TODAY, allowance=allowance, settings=SETTINGS)
    assert len(decisions) == len(observed)  # one decision per route, none dropped
    return {d.route.entity_id: d for d in decisions}


def spent(decisions: dict[str, Decision]) -> int:
    return sum(d.credits for d in decisions.values())


def test_a_never_fetched_route_is_fetched_first_even_with_no_weight() -> None:
    new = seen("new", days_ago=None, weight=0.0, rate=0.0)
    valuable = seen("valuable", days_ago=5, weight=1.0, rate=1.0, cost=2)
    out = decide([valuable, new], allowance=2)
    assert (out["new"].action, out["new"].band) == ("fetch", "burst")
    assert out["new"].reason.startswith("new route")
    assert out["valuable"].action == "wait"


def test_a_route_past_the_floor_comes_before_higher_value_routes() -> None:
    stale = seen("stale", days_ago=14, weight=0.001, rate=0.01)
    valuable = seen("valuable", days_ago=5, weight=1.0, rate=1.0, cost=2)
    out = decide([valuable, stale], allowance=2)
    assert out["valuable"].score > 0.0
    assert (out["stale"].action, out["stale"].band) == ("fetch", "floor")
    assert "floor" in out["stale"].reason
    assert out["valuable"].action == "wait"


def test_a_route_fetched_today_waits_whatever_the_allowance() -> None:
    out = decide([seen("today", days_ago=0, weight=1.0, rate=MAX_RATE)], allowance=1_000)
    decision = out["today"]
    assert (decision.action, decision.credits) == ("wait", 0)
    assert decision.reason == "fetched today"
    assert decision.next_due == TODAY + DAY


def test_free_routes_come_with_their_list_and_cost_nothing() -> None:
    shop_list = Route("shop_products", "s1", 7)
    listing = seen("s1", days_ago=None, asset="shop_products", cost=2)
    totals = [seen(f"p{i}", days_ago=3, weight=0.5, free_with=shop_list) for i in range(5)]
    out = decide([listing, *totals], allowance=2)
    assert out["s1"].action == "fetch"
    for i in range(5):
        assert (out[f"p{i}"].action, out[f"p{i}"].band, out[f"p{i}"].credits) == ("free", "free", 0)
    assert spent(out) == 2  # the list's pages only: free routes are not rationed


def test_free_routes_wait_when_their_list_is_not_fetched_today() -> None:
    shop_list = Route("shop_products", "s1", 7)
    listing = seen("s1", days_ago=3, asset="shop_products", cost=2)
    total = seen("p1", days_ago=3, free_with=shop_list)
    out = decide([listing, total], allowance=1)  # the list does not fit
    assert out["s1"].action == "wait"
    assert (out["p1"].action, out["p1"].credits) == ("wait", 0)
    assert out["p1"].reason == "its list waits"


def test_a_list_fetched_earlier_today_still_answers_its_free_routes() -> None:
    shop_list = Route("shop_products", "s1", 7)
    listing = seen("s1", days_ago=0, asset="shop_products", cost=2)
    total = seen("p1", days_ago=2, free_with=shop_list)
    out = decide([listing, total], allowance=0)
    assert out["s1"].action == "wait"  # the cap
    assert (out["p1"].action, out["p1"].credits) == ("free", 0)


def test_the_allowance_is_never_exceeded_and_the_rest_of_the_due_routes_is_deferred() -> None:
    new = [seen(f"n{i}", days_ago=None, cost=3) for i in range(6)]
    floor = [seen(f"f{i}", days_ago=20, cost=1) for i in range(4)]
    out = decide([*new, *floor], allowance=10)
    assert spent(out) <= 10
    fetched = [d for d in out.values() if d.action == "fetch"]
    deferred = [d for d in out.values() if d.action == "defer"]
    assert len(fetched) + len(deferred) == 10  # every due route is fetched or deferred
    assert {d.band for d in deferred} <= {"burst", "floor"} and deferred
    for d in deferred:
        assert d.next_due == TODAY + DAY
        assert d.credits == 0
        assert "deferred" in d.reason and "10" in d.reason


def test_bursts_are_taken_before_floors_when_the_allowance_is_short() -> None:
    new = [seen(f"n{i}", days_ago=None) for i in range(3)]
    floor = [seen(f"f{i}", days_ago=30) for i in range(3)]
    out = decide([*floor, *new], allowance=3)
    assert {k for k, d in out.items() if d.action == "fetch"} == {"n0", "n1", "n2"}
    assert {k for k, d in out.items() if d.action == "defer"} == {"f0", "f1", "f2"}


@pytest.mark.parametrize("allowance", [0, 1, 7, 30, 120, 10_000])
def test_no_mix_of_routes_spends_more_than_the_allowance(allowance: int) -> None:
    draw = random.Random(allowance)
    shop_lists = [Route("shop_products", f"s{i}", 7) for i in range(5)]
    observed = []
    for i in range(200):
        days = draw.choice([None, 0, 1, 2, 5, 13, 14, 40])
        free_with = draw.choice([None, None, *shop_lists])
        observed.append(
            seen(
                f"r{i}",
                days_ago=days,
                asset=draw.choice(["product_total", "product_detail", "shop_total"]),
                rate=draw.uniform(0.0, 3.0),
                weight=draw.uniform(0.0, 0.02),
                cost=draw.randint(1, 4),
                free_with=free_with,
            )
        )
    observed += [
        seen(r.entity_id, days_ago=draw.choice([None, 3]), asset=r.asset, cost=2)
        for r in shop_lists
    ]
    decisions = choose(observed, today=TODAY, allowance=allowance, settings=SETTINGS)
    assert sum(d.credits for d in decisions) <= allowance
    assert all(d.next_due > TODAY for d in decisions)
    if allowance >= sum(o.cost for o in observed):
        assert not [d for d in decisions if d.action == "defer"]


def test_among_equal_costs_the_heavier_route_comes_first() -> None:
    light = seen("light", days_ago=3, weight=0.1, rate=0.5)
    heavy = seen("heavy", days_ago=3, weight=0.4, rate=0.5)
    out = decide([light, heavy], allowance=1)
    assert (out["heavy"].action, out["light"].action) == ("fetch", "wait")
    assert out["heavy"].score > out["light"].score


def test_among_equal_costs_the_faster_changing_route_comes_first() -> None:
    slow = seen("slow", days_ago=1, weight=0.2, rate=0.05)
    fast = seen("fast", days_ago=1, weight=0.2, rate=0.7)
    out = decide([slow, fast], allowance=1)
    assert (out["fast"].action, out["slow"].action) == ("fetch", "wait")


def test_among_new_routes_the_heavier_comes_first() -> None:
    out = decide([seen("a", days_ago=None, weight=0.1), seen("b", days_ago=None, weight=0.3)], 1)
    assert (out["b"].action, out["a"].action) == ("fetch", "defer")


def test_a_route_that_never_changes_is_worth_little() -> None:
    still = change_rate(polls=20, changes=0, interval_days=1.0)
    busy = change_rate(polls=20, changes=20, interval_days=1.0)
    unknown = change_rate(polls=0, changes=0, interval_days=1.0)
    assert still < unknown < busy
    for days in (1, 2, 3):
        assert value(0.3, still, days, 14) < value(0.3, unknown, days, 14)
        assert value(0.3, still, days, 14) < value(0.3, busy, days, 14)
    assert value(0.3, still, 1, 14) < value(0.3, busy, 1, 14) / 2
    routes = [seen("still", days_ago=1, rate=still)] + [
        seen(f"b{i}", days_ago=1, rate=busy) for i in range(9)
    ]
    out = decide(routes, allowance=1_000)
    assert out["still"].band == "low"
    assert out["still"].score == min(d.score for d in out.values())


def test_change_rate_is_finite_when_every_poll_changed_and_positive_when_none_did() -> None:
    always = change_rate(polls=50, changes=50, interval_days=1.0)
    never = change_rate(polls=50, changes=0, interval_days=1.0)
    assert math.isfinite(always) and 0.0 < always <= MAX_RATE
    assert never > 0.0
    assert change_rate(polls=0, changes=0, interval_days=0.0) > 0.0  # no polls, no interval
    # polls further apart mean a slower rate for the same share of changes
    assert change_rate(10, 5, 7.0) < change_rate(10, 5, 1.0)


def test_value_rises_with_weight_and_with_days_since_the_last_fetch() -> None:
    weights = [value(w, 0.5, 3, 14) for w in (0.01, 0.1, 0.5, 1.0)]
    assert weights == sorted(weights) and weights[0] < weights[-1]
    days = [value(0.2, 0.5, t, 14) for t in (1, 2, 5, 10, 14)]
    assert days == sorted(days) and days[0] < days[-1]
    assert value(0.0, 0.5, 3, 14) == 0.0 and value(0.2, 0.0, 3, 14) == 0.0


def test_a_waiting_route_is_due_no_later_than_its_floor() -> None:
    routes = [seen(f"r{i}", days_ago=i + 1, rate=0.1 * (i + 1), weight=0.05) for i in range(10)]
    out = decide(routes, allowance=2)
    for d in out.values():
        if d.action == "wait":
            assert TODAY < d.next_due <= d.observed.last_fetch + 14 * DAY


def test_the_unweighted_choice_takes_the_longest_unfetched_routes_whatever_they_are_worth() -> None:
    """`weighted=False`: the textbook uniform policy the month benchmark compares with."""
    routes = [
        seen("heavy-recent", days_ago=1, weight=0.9, rate=MAX_RATE),
        seen("light-old", days_ago=6, weight=0.001, rate=0.01),
        seen("middle", days_ago=3, weight=0.1, rate=0.5),
    ]
    unweighted = PolicySettings(floor_days=14, weighted=False)
    out = {
        d.route.entity_id: d for d in choose(routes, today=TODAY, allowance=2, settings=unweighted)
    }
    assert {k for k, d in out.items() if d.action == "fetch"} == {"light-old", "middle"}
    weighted = decide(routes, allowance=2)
    assert weighted["heavy-recent"].action == "fetch"
