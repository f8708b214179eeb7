"""World: deterministic entities and the consistency rules between the routes' payloads."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim._support import TODAY
from tiktok_assets.sim.world import World, period_window

WORLD = World()
PROPERTY = settings(max_examples=30, deadline=None)
days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))
periods = st.sampled_from([1, 7, 30, 90])
shop_ids = st.sampled_from(WORLD.shop_ids())
product_ids = st.sampled_from(WORLD.product_ids())
creator_ids = st.sampled_from(WORLD.creator_ids())
video_ids = st.sampled_from(WORLD.video_ids())


def test_sizes_and_relations() -> None:
    assert len(WORLD.shop_ids()) == 12
    assert len(WORLD.creator_ids()) == 40
    assert len(WORLD.video_ids()) == 120
    assert sum(len(WORLD.products_of_shop(s)) for s in WORLD.shop_ids()) == len(WORLD.product_ids())
    for sid in WORLD.shop_ids():
        assert 8 <= len(WORLD.products_of_shop(sid)) <= 60
        assert all(WORLD.product(p).shop_id == sid for p in WORLD.products_of_shop(sid))
    for cid in WORLD.creator_ids():
        assert 2 <= len(WORLD.creator(cid).product_ids) <= 15
    for vid in WORLD.video_ids():
        video = WORLD.video(vid)
        assert video.product_id in WORLD.creator(video.creator_id).product_ids
        assert video.posted_at < TODAY


def test_ids_are_unique_16_digit_strings() -> None:
    ids = WORLD.shop_ids() + WORLD.product_ids() + WORLD.creator_ids() + WORLD.video_ids()
    assert len(ids) == len(set(ids))
    assert all(len(i) == 16 and i.isdigit() and i[0] != "0" for i in ids)


def test_same_seed_same_world_other_seed_other_world() -> None:
    again = World(seed=7)
    assert again.ids() == WORLD.ids()
    sid, pid = again.shop_ids()[3], again.product_ids()[5]
    assert again.shop_detail(sid) == WORLD.shop_detail(sid)
    assert again.shop_total(sid, 90, TODAY) == WORLD.shop_total(sid, 90, TODAY)
    assert again.product_history(pid, 30, TODAY) == WORLD.product_history(pid, 30, TODAY)
    assert World(seed=8).ids() != WORLD.ids()


def test_from_config_matches_constructor() -> None:
    from tiktok_assets.sim import SimConfig

    config = SimConfig(seed=3, shops=2, products_per_shop=(1, 2), creators=3, videos=4)
    built = World.from_config(config)
    assert built.ids() == World(3, 2, (1, 2), 3, 4).ids()
    assert len(built.video_ids()) == 4


def test_shop_detail_counts() -> None:
    for sid in WORLD.shop_ids():
        detail = WORLD.shop_detail(sid)
        products = WORLD.products_of_shop(sid)
        creators = {c for p in products for c in WORLD.creators_of_product(p)}
        assert detail["products_count"] == len(products)
        assert detail["creators_count"] == len(creators)
        assert 3.5 <= detail["rating"] <= 5.0
        assert set(detail) == {
            "id",
            "name",
            "country",
            "logo",
            "products_count",
            "creators_count",
            "rating",
        }


def test_period_window() -> None:
    assert period_window(1, TODAY) == (dt.date(2026, 11, 23), dt.date(2026, 11, 23))
    assert period_window(30, TODAY) == (dt.date(2026, 10, 25), dt.date(2026, 11, 23))
    with pytest.raises(ValueError):
        period_window(0, TODAY)


@PROPERTY
@given(product_ids, periods, days)
def test_product_total_is_sum_of_history(pid: str, period: int, today: dt.date) -> None:
    history = WORLD.product_history(pid, period, today)
    total = WORLD.product_total(pid, period, today)
    sales = sum(row["sales"] for row in history)
    revenue = sum(row["revenue"] for row in history)
    assert total["sales"] == sales
    assert total["revenue"] == revenue
    assert total["avg_price"] == (round(revenue / sales, 2) if sales else 0)
    assert total["period"] == period


@PROPERTY
@given(product_ids, periods, days)
def test_history_has_n_consecutive_dates_ending_yesterday(
    pid: str, period: int, today: dt.date
) -> None:
    history = WORLD.product_history(pid, period, today)
    expected = [(today - dt.timedelta(days=period - i)).isoformat() for i in range(period)]
    assert [row["date"] for row in history] == expected
    assert expected[-1] == (today - dt.timedelta(days=1)).isoformat()
    price = WORLD.product(pid).price
    for row in history:
        assert set(row) == {"date", "revenue", "sales"}
        assert isinstance(row["sales"], int) and row["sales"] >= 0
        assert row["revenue"] == round(row["sales"] * price)


@PROPERTY
@given(shop_ids, periods, days)
def test_shop_total_is_sum_over_products(sid: str, period: int, today: dt.date) -> None:
    total = WORLD.shop_total(sid, period, today)
    product_totals = [WORLD.product_total(p, period, today) for p in WORLD.products_of_shop(sid)]
    assert total["sales"] == sum(t["sales"] for t in product_totals)
    assert total["revenue"] == sum(t["revenue"] for t in product_totals)
    assert total["avg_price"] == (
        round(total["revenue"] / total["sales"], 2) if total["sales"] else 0
    )
    assert 0.01 <= total["conversion_rate"] <= 0.08
    assert round(total["conversion_rate"], 3) == total["conversion_rate"]
    assert total["period"] == period
    rows = {row["id"]: row for row in WORLD.shop_products(sid, period, today)}
    assert set(rows) == set(WORLD.products_of_shop(sid))
    for pid in rows:
        expected = WORLD.product_total(pid, period, today)
        assert (rows[pid]["revenue"], rows[pid]["sales"]) == (
            expected["revenue"],
            expected["sales"],
        )


@PROPERTY
@given(creator_ids, periods, days)
def test_creator_total_is_sum_of_its_products(cid: str, period: int, today: dt.date) -> None:
    total = WORLD.creator_total(cid, period, today)
    rows = WORLD.creator_products(cid, period, today)
    assert total["sales"] == sum(row["sales"] for row in rows)
    assert total["revenue"] == sum(row["revenue"] for row in rows)
    assert total["videos"] == len(WORLD.videos_of_creator(cid))
    assert total["followers"] == WORLD.creator(cid).followers
    assert total["period"] == period
    assert {row["id"] for row in rows} == set(WORLD.creator(cid).product_ids)
    for row in rows:  # a creator's share is at most 40% of the product's sales
        assert row["sales"] <= WORLD.product_total(row["id"], period, today)["sales"] * 0.4


@PROPERTY
@given(shop_ids, periods, days, st.sampled_from(["revenue", "sales", "price"]))
def test_shop_products_sorted_both_orders(sid: str, period: int, today: dt.date, sort: str) -> None:
    desc = WORLD.shop_products(sid, period, today, sort=sort, order="desc")
    asc = WORLD.shop_products(sid, period, today, sort=sort, order="asc")
    assert [(-r[sort], r["id"]) for r in desc] == sorted((-r[sort], r["id"]) for r in desc)
    assert [(r[sort], r["id"]) for r in asc] == sorted((r[sort], r["id"]) for r in asc)
    assert sorted(r["id"] for r in desc) == sorted(r["id"] for r in asc)


@PROPERTY
@given(video_ids, st.sampled_from([1, 7, 30]), days)
def test_video_metrics_are_sums_of_days(vid: str, period: int, today: dt.date) -> None:
    metrics = WORLD.video_metrics(vid, period, today)
    start, _ = period_window(period, today)
    daily = [WORLD.video_day(vid, start + dt.timedelta(days=i)) for i in range(period)]
    for name in ("views", "likes", "comments", "shares"):
        assert metrics[name] == sum(day[name] for day in daily)
    assert metrics["period"] == period
    posted = WORLD.video(vid).posted_at
    for i, day in enumerate(daily):
        if start + dt.timedelta(days=i) < posted:
            assert day == {"views": 0, "likes": 0, "comments": 0, "shares": 0}


def test_video_before_posting_has_no_metrics() -> None:
    vid = WORLD.video_ids()[0]
    posted = WORLD.video(vid).posted_at
    assert WORLD.video_metrics(vid, 30, posted)["views"] == 0
    assert WORLD.video_metrics(vid, 1, posted + dt.timedelta(days=1))["views"] > 0


@PROPERTY
@given(product_ids, periods, days)
def test_moving_today_rolls_the_window(pid: str, period: int, today: dt.date) -> None:
    tomorrow = today + dt.timedelta(days=1)
    before = WORLD.product_total(pid, period, today)
    after = WORLD.product_total(pid, period, tomorrow)
    dropped = WORLD.product_day(pid, today - dt.timedelta(days=period))
    added = WORLD.product_day(pid, today)
    assert after["sales"] == before["sales"] - dropped[0] + added[0]
    assert after["revenue"] == before["revenue"] - dropped[1] + added[1]


def test_totals_change_as_today_moves() -> None:
    sid = WORLD.shop_ids()[0]
    totals = {WORLD.shop_total(sid, 7, TODAY + dt.timedelta(days=d))["revenue"] for d in range(5)}
    assert len(totals) > 1


def test_some_days_have_no_sales() -> None:
    pid = WORLD.product_ids()[0]
    history = WORLD.product_history(pid, 90, TODAY) + WORLD.product_history(
        pid, 90, dt.date(2026, 6, 1)
    )
    assert any(row["sales"] == 0 for row in history)
    assert any(row["sales"] > 0 for row in history)


def test_product_detail_uses_period_30_total() -> None:
    pid = WORLD.product_ids()[7]
    detail = WORLD.product_detail(pid, TODAY)
    total = WORLD.product_total(pid, 30, TODAY)
    assert (detail["revenue"], detail["sales"]) == (total["revenue"], total["sales"])
    assert detail["shop_id"] == WORLD.product(pid).shop_id
    assert detail["price"] == round(detail["price"], 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda w: w.shop_detail("1"),
        lambda w: w.shop_total("1", 30, TODAY),
        lambda w: w.shop_products("1", 30, TODAY),
        lambda w: w.products_of_shop("1"),
        lambda w: w.product_detail("1", TODAY),
        lambda w: w.product_total(w.shop_ids()[0], 30, TODAY),
        lambda w: w.product_history("1", 30, TODAY),
        lambda w: w.creator_total("1", 30, TODAY),
        lambda w: w.creator_products("1", 30, TODAY),
        lambda w: w.video_detail("1"),
        lambda w: w.video_metrics("1", 30, TODAY),
    ],
)
def test_unknown_id_raises_key_error(call: Callable[[World], Any]) -> None:
    with pytest.raises(KeyError):
        call(WORLD)


STATIC_DIGEST = "9e2073ebd5c97fac3af3e57489523a18f0509a2c74069bb866cfff95628833d8"
"""sha256 of `_static_answers(World())` computed with the simulator as it was before the
living market (commit e687f78): tests all over the project compare warehouse rows with the
static world, so its numbers must never move."""


def _static_answers(world: World) -> str:
    answers: list[Any] = []
    for today in (dt.date(2026, 11, 24), dt.date(2025, 2, 10)):
        for sid in world.shop_ids():
            answers.append(world.shop_detail(sid))
            for period in (1, 7, 30, 90):
                answers.append(world.shop_total(sid, period, today))
                answers.append(world.shop_products(sid, period, today, "price", "asc"))
        for pid in world.product_ids()[::5]:
            answers.append(world.product_detail(pid, today))
            answers.append(world.product_total(pid, 7, today))
            answers.append(world.product_history(pid, 90, today))
        for cid in world.creator_ids():
            answers.append(world.creator_total(cid, 30, today))
            answers.append(world.creator_products(cid, 90, today))
        for vid in world.video_ids():
            answers.append(world.video_detail(vid))
            answers.append(world.video_metrics(vid, 30, today))
    answers.append(world.ids())
    return hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()


def test_static_market_answers_are_unchanged() -> None:
    assert WORLD.market == "static"
    assert _static_answers(WORLD) == STATIC_DIGEST
    assert _static_answers(World(market="static")) == STATIC_DIGEST


def test_static_market_has_no_dates() -> None:
    pid, cid = WORLD.product_ids()[0], WORLD.creator_ids()[0]
    early = dt.date(2000, 1, 1)
    assert WORLD.launched_products(early) == WORLD.product_ids()
    assert WORLD.launches(early, dt.date(2030, 1, 1)) == []
    assert WORLD.products_of_shop(WORLD.shop_ids()[0], early) == WORLD.products_of_shop(
        WORLD.shop_ids()[0]
    )
    assert WORLD.price_on(pid, early) == WORLD.price_on(pid, TODAY) == WORLD.product(pid).price
    assert WORLD.link_start(cid, WORLD.creator(cid).product_ids[0]) == dt.date.min
    assert WORLD.posted_videos(early) == WORLD.video_ids()
    assert WORLD.product_day(pid, early, as_of=TODAY) == WORLD.product_day(pid, early)
    with pytest.raises(KeyError):
        WORLD.link_start(cid, WORLD.shop_ids()[0])
    with pytest.raises(ValueError):
        WORLD.product_day(pid, TODAY, as_of=TODAY)
