"""The rules of derivation on hand-written journal rows: what a list row or a daily series
may answer, and what it may not (bad rows, other periods, failed pages, missing days)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import sqlalchemy as sa

from tiktok_assets.api import endpoints as ep
from tiktok_assets.economy.sources import Derivation, derivations
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.tables import api_calls

DAY = dt.date(2026, 3, 10)
AT = dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.UTC)


def _answer(engine: sa.Engine, endpoint: ep.Endpoint, entity: str, body: Any, **extra: Any):
    params = {"id": entity, **extra.pop("params", {})}
    row = {
        "route": endpoint.route,
        "params": json.dumps(params, sort_keys=True),
        "entity_id": entity,
        "status": 200,
        "duration_ms": 1.0,
        "credits": 1,
        "cache_hit": False,
        "attempt": 1,
        "run_id": "r",
        "error": None,
        "body": body,
        "called_at": AT,
        "call_date": DAY,
    } | extra
    with engine.begin() as conn:
        conn.execute(sa.insert(api_calls).values(**row))


def _list(engine: sa.Engine, period: int, items: list[dict[str, Any]], **extra: Any) -> None:
    body = {"success": True, "data": items, "page": 1, "total": len(items)}
    params = {"period": period, "page": 1, "limit": 50, "sort": "revenue", "order": "desc"}
    _answer(engine, ep.SHOP_PRODUCTS, "900", body, params=params, **extra)


def _history(engine: sa.Engine, product: str, period: int, skip: set[int] = frozenset()) -> None:
    days = [
        {"date": (DAY - dt.timedelta(days=n)).isoformat(), "revenue": 10.0 * n, "sales": n}
        for n in range(period, 0, -1)
        if n not in skip
    ]
    body = {"success": True, "data": days}
    _answer(engine, ep.PRODUCT_HISTORY, product, body, params={"period": period})


def _derive(engine: sa.Engine, asset: str, *keys: str) -> dict[str, Derivation]:
    parsed = [(k, k.split("|")[0], int(k.split("|")[1])) for k in keys]
    return derivations(engine, asset, parsed, DAY)


def test_a_list_row_answers_its_product_and_period_only(warehouse_url: str) -> None:
    engine = Warehouse(url=warehouse_url).engine
    _list(engine, 30, [{"id": "1", "title": "a", "price": 2.0, "revenue": 9.99, "sales": 3}])
    found = _derive(engine, "product_total", "1|30", "1|7", "2|30")
    assert set(found) == {"1|30"}
    derived = found["1|30"]
    assert (derived.source, derived.revenue, derived.sales) == ("shop_products", 9.99, 3)
    assert derived.total_payload() == {"revenue": 9.99, "sales": 3, "avg_price": 3.33, "period": 30}
    assert derived.answer.called_at == AT and derived.answer.call_date == DAY


def test_a_product_that_sold_nothing_has_avg_price_zero(warehouse_url: str) -> None:
    engine = Warehouse(url=warehouse_url).engine
    _list(engine, 7, [{"id": "1", "revenue": 0, "sales": 0}])
    assert _derive(engine, "product_total", "1|7")["1|7"].avg_price == 0.0


def test_bad_list_rows_are_no_source_and_are_logged_once(warehouse_url: str, caplog) -> None:
    engine = Warehouse(url=warehouse_url).engine
    _list(
        engine,
        30,
        [
            {"id": "1", "sales": 3},  # no revenue
            {"id": "2", "revenue": "12.5", "sales": 3},  # not a number
            {"id": "3", "revenue": 5.0, "sales": 1.5},  # sales not a count
            {"id": "4", "revenue": -1.0, "sales": 1},  # negative
            {"id": "5", "revenue": 5.0, "sales": True},  # a boolean is no number
            {"id": "6", "revenue": 5.0, "sales": 1},
        ],
    )
    with caplog.at_level(logging.WARNING, logger="tiktok_assets.economy.sources"):
        found = _derive(engine, "product_total", *(f"{i}|30" for i in range(1, 7)))
    assert set(found) == {"6|30"}
    warnings = [r for r in caplog.records if "no source (paid instead)" in r.getMessage()]
    assert len(warnings) == 1
    assert "1|30, 2|30, 3|30, 4|30, 5|30" in warnings[0].getMessage()


def test_a_failed_or_served_page_is_no_source(warehouse_url: str) -> None:
    engine = Warehouse(url=warehouse_url).engine
    _list(engine, 30, [{"id": "1", "revenue": 5.0, "sales": 1}], status=500, error="HTTP 500")
    _list(engine, 30, [{"id": "2", "revenue": 5.0, "sales": 1}], credits=0, cache_hit=True)
    _list(engine, 30, [{"id": "3", "revenue": 5.0, "sales": 1}], call_date=DAY - dt.timedelta(1))
    assert _derive(engine, "product_total", "1|30", "2|30", "3|30") == {}


def test_creator_lists_are_never_a_products_totals(warehouse_url: str) -> None:
    engine = Warehouse(url=warehouse_url).engine
    body = {"success": True, "data": [{"id": "1", "revenue": 5.0, "sales": 1}], "total": 1}
    _answer(engine, ep.CREATOR_PRODUCTS, "700", body, params={"period": 30, "page": 1})
    assert _derive(engine, "product_total", "1|30") == {}


def test_a_history_answers_the_windows_it_covers_whole(warehouse_url: str) -> None:
    engine = Warehouse(url=warehouse_url).engine
    _history(engine, "1", 90, skip={20})  # the day 20 days ago is missing
    found = _derive(engine, "product_total", "1|1", "1|7", "1|30", "1|90")
    assert set(found) == {"1|1", "1|7"}  # 30 and 90 contain the missing day
    week = found["1|7"]
    assert (week.source, week.sales, week.revenue) == ("product_history", 28, 280.0)
    sliced = _derive(engine, "product_history", "1|7")["1|7"]
    assert [d["date"] for d in sliced.history_payload()] == [
        (DAY - dt.timedelta(days=n)).isoformat() for n in range(7, 0, -1)
    ]


def test_the_list_comes_before_the_history(warehouse_url: str) -> None:
    engine = Warehouse(url=warehouse_url).engine
    _history(engine, "1", 90)
    _list(engine, 7, [{"id": "1", "revenue": 280.0, "sales": 28}])
    found = _derive(engine, "product_total", "1|7", "1|30")
    assert (found["1|7"].source, found["1|30"].source) == ("shop_products", "product_history")
