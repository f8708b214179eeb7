"""Dormancy on a warehouse written by hand (SQLite and PostgreSQL): a product that sold
nothing for 30 days and that no list shows selling is left out of the refresh and costs no
credit; a list showing it selling wakes it; a product too new to have been silent that long
is never dormant."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tiktok_assets import clock
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.refresh.plan import plan_day
from tiktok_assets.refresh.settings import RefreshSettings
from tiktok_assets.tracking.dormancy import dormancy
from tiktok_assets.warehouse import Warehouse

TODAY = dt.date(2026, 11, 24)
SHOP = "9000000000000001"
ASLEEP, NEW, SELLING = "1000000000000001", "1000000000000002", "1000000000000003"


def _total(conn: sa.Connection, wh: Warehouse, pid: str, day: dt.date, sales: int) -> None:
    conn.execute(
        sa.insert(wh.table("product_total")),
        [
            {
                "id": pid,
                "period": period,
                "snapshot_date": day,
                "revenue": 10.0 * sales,
                "sales": sales,
                "avg_price": 10.0 if sales else 0.0,
                "fetched_at": clock.now(),
                "raw": {},
            }
            for period in (1, 7, 30, 90)
        ],
    )


def _listed(
    conn: sa.Connection, wh: Warehouse, pid: str, day: dt.date, sales: int, rank: int = 1
) -> None:
    conn.execute(
        sa.insert(wh.table("shop_products")),
        [
            {
                "shop_id": SHOP,
                "period": 7,
                "snapshot_date": day,
                "rank": rank,
                "product_id": pid,
                "title": "item",
                "price": 10.0,
                "revenue": 10.0 * sales,
                "sales": sales,
                "fetched_at": clock.now(),
                "raw": {},
            }
        ],
    )


def _warehouse(url: str) -> Warehouse:
    """Three products seen 40 days ago: ASLEEP and SELLING have sold nothing in 30 days as of
    yesterday, NEW (first seen 5 days ago) neither; SELLING is on a list of today, selling."""
    wh = Warehouse(url=url)
    yesterday = TODAY - dt.timedelta(days=1)
    with wh.engine.begin() as conn:
        for pid in (ASLEEP, SELLING):
            _total(conn, wh, pid, TODAY - dt.timedelta(days=40), sales=3)
            _total(conn, wh, pid, yesterday, sales=0)
        _total(conn, wh, NEW, TODAY - dt.timedelta(days=5), sales=0)
        _total(conn, wh, NEW, yesterday, sales=0)
        _listed(conn, wh, SELLING, TODAY, sales=2)
    return wh


def test_only_a_product_silent_for_30_days_and_selling_on_no_list_is_dormant(
    warehouse_url: str,
) -> None:
    wh = _warehouse(warehouse_url)
    tracked = {"shop": [], "product": [ASLEEP, NEW, SELLING], "creator": [], "video": []}
    asleep = dormancy(wh.engine, tracked, days=30)
    assert dict(asleep.products) == {ASLEEP: TODAY - dt.timedelta(days=1)}
    assert asleep.counts() == {"product": 1}
    assert asleep.active(tracked)["product"] == [NEW, SELLING]
    assert not dormancy(wh.engine, tracked, days=45).products  # 40 days known: not 45


def test_a_dormant_product_costs_nothing_and_wakes_when_a_list_shows_it_selling(
    warehouse_url: str,
) -> None:
    wh = _warehouse(warehouse_url)
    tracked = {"shop": [], "product": [ASLEEP, NEW, SELLING], "creator": [], "video": []}
    pricing = Pricing(
        wh.engine, CreditTerms(page_size=50, rate_per_minute=0, monthly_credit_limit=10**6)
    )
    settings = RefreshSettings()

    plan = plan_day(wh.engine, tracked, pricing=pricing, settings=settings, today=TODAY)
    mine = [d for d in plan.decisions if d.route.entity_id == ASLEEP]
    assert mine == []  # neither observed nor priced: no route of it is fetched
    assert "dormant: 1 product(s)" in plan.summary()
    recorded = wh.read_frame("SELECT * FROM refresh_plan WHERE entity_id = :p", {"p": ASLEEP})
    assert len(recorded) > 0 and set(recorded["action"]) == {"dormant"}
    assert recorded["credits"].sum() == 0
    others = wh.read_frame("SELECT * FROM refresh_plan WHERE entity_id <> :p", {"p": ASLEEP})
    assert "dormant" not in set(others["action"])

    with wh.engine.begin() as conn:  # a tracked shop's list of today shows it selling
        _listed(conn, wh, ASLEEP, TODAY, sales=1, rank=2)
    woken = plan_day(wh.engine, tracked, pricing=pricing, settings=settings, today=TODAY)
    assert not woken.dormant.products
    assert any(d.route.entity_id == ASLEEP and d.credits > 0 for d in woken.decisions)
