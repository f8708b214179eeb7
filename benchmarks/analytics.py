"""analytics (issue #14): every analytics asset's build time on a warehouse of 5,000 products
× 90 days of history (goal: under 2 s each), on SQLite and, when a server answers, PostgreSQL.

The warehouse is filled directly (no simulator, no request): 5,000 products in 100 shops,
90 days of `product_history` ending yesterday, `product_total` (4 periods) and
`product_detail` snapshots on two days (a tenth of the prices change), the shops' ranked
lists and totals, 500 creators with 20 products each, 10,000 videos. The analytics are built
once for yesterday (so today's leaderboards have a previous snapshot and rank changes), then
timed for today: each time is `refresh()` as the asset runs it — the queries, the pandas
logic, the write of that day's rows and the Markdown preview with its chart — and `alerts`
evaluates the project's `alerts.yaml` (no webhook). `--quick`: 1,000 products.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.support import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV, Result, sqlite_url, table

GOAL_SECONDS = 2.0
DAYS = 90
SHOPS = 100
CREATORS = 500
PRODUCTS_PER_CREATOR = 20
VIDEOS = 10_000
PERIODS = (1, 7, 30, 90)
NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)


def _ids(prefix: int, count: int) -> list[str]:
    return [str(prefix * 10**15 + i) for i in range(count)]


def fill(url: str, products: int, today: dt.date) -> dict[str, int]:
    """Fill an empty warehouse at `url`; returns the rows per table."""
    import numpy as np
    import sqlalchemy as sa

    from tiktok_assets.warehouse import Warehouse
    from tiktok_assets.warehouse import tables as t

    rng = np.random.default_rng(7)
    engine = Warehouse(url=url).engine
    pids, sids, cids, vids = (
        _ids(7, products),
        _ids(5, SHOPS),
        _ids(6, CREATORS),
        _ids(9, VIDEOS),
    )
    shop_of = [sids[i % SHOPS] for i in range(products)]
    base = rng.lognormal(4.0, 1.2, products)
    drift = rng.normal(0.0, 0.01, products)
    price = np.round(rng.uniform(5, 80, products), 2)
    first = today - dt.timedelta(days=DAYS)
    days = [first + dt.timedelta(days=d) for d in range(DAYS)]
    daily_sales = np.maximum(
        0, np.round(base[:, None] * np.exp(drift[:, None] * np.arange(DAYS)[None, :]))
    ).astype(int)
    counts: dict[str, int] = {}

    def put(table: sa.Table, rows: list[dict[str, Any]]) -> None:
        with engine.begin() as conn:
            for start in range(0, len(rows), 10_000):
                conn.execute(sa.insert(table), rows[start : start + 10_000])
        counts[table.name] = counts.get(table.name, 0) + len(rows)

    history = [
        {
            "id": pid,
            "date": day,
            "revenue": float(daily_sales[i, d] * price[i]),
            "sales": int(daily_sales[i, d]),
            "fetched_at": NOW,
        }
        for i, pid in enumerate(pids)
        for d, day in enumerate(days)
    ]
    put(t.product_history, history)
    snapshots = (today - dt.timedelta(days=1), today)
    for snap in snapshots:
        end = DAYS - (today - snap).days
        totals, details = [], []
        for i, pid in enumerate(pids):
            changed = i % 10 == 0 and snap == today
            p = float(round(price[i] * (0.9 if changed else 1.0), 2))
            for period in PERIODS:
                sales = int(daily_sales[i, max(0, end - period) : end].sum())
                totals.append(
                    {
                        "id": pid,
                        "period": period,
                        "snapshot_date": snap,
                        "revenue": sales * p,
                        "sales": sales,
                        "avg_price": p,
                        "fetched_at": NOW,
                        "raw": {},
                    }
                )
            details.append(
                {
                    "id": pid,
                    "snapshot_date": snap,
                    "title": f"Product {i}",
                    "shop_id": shop_of[i],
                    "price": p,
                    "revenue": 0.0,
                    "sales": 0,
                    "fetched_at": NOW,
                    "raw": {},
                }
            )
        put(t.product_total, totals)
        put(t.product_detail, details)
        lists, shop_totals, shop_details = [], [], []
        for s, sid in enumerate(sids):
            members = list(range(s, products, SHOPS))
            shop_details.append(
                {
                    "id": sid,
                    "snapshot_date": snap,
                    "name": f"Shop {s}",
                    "fetched_at": NOW,
                    "raw": {},
                }
            )
            for period in PERIODS:
                ranked = sorted(members, key=lambda i: -base[i] * (1 + rng.normal(0, 0.1)))
                shop_totals.append(
                    {
                        "id": sid,
                        "period": period,
                        "snapshot_date": snap,
                        "revenue": float(sum(base[i] * price[i] for i in members) * period),
                        "sales": int(sum(base[i] for i in members) * period),
                        "fetched_at": NOW,
                        "raw": {},
                    }
                )
                lists += [
                    {
                        "shop_id": sid,
                        "period": period,
                        "snapshot_date": snap,
                        "rank": r,
                        "product_id": pids[i],
                        "title": f"Product {i}",
                        "price": float(price[i]),
                        "revenue": float(base[i] * price[i] * period),
                        "sales": int(base[i] * period),
                        "fetched_at": NOW,
                        "raw": {},
                    }
                    for r, i in enumerate(ranked, start=1)
                ]
        put(t.shop_detail, shop_details)
        put(t.shop_total, shop_totals)
        put(t.shop_products, lists)
        creator_totals, creator_lists = [], []
        for cid in cids:
            picks = rng.choice(products, PRODUCTS_PER_CREATOR, replace=False)
            for period in PERIODS:
                creator_totals.append(
                    {
                        "id": cid,
                        "period": period,
                        "snapshot_date": snap,
                        "revenue": float(rng.uniform(100, 10_000) * period),
                        "sales": int(rng.integers(1, 1000) * period),
                        "videos": 20,
                        "followers": int(rng.integers(1_000, 1_000_000)),
                        "fetched_at": NOW,
                        "raw": {},
                    }
                )
                creator_lists += [
                    {
                        "creator_id": cid,
                        "period": period,
                        "snapshot_date": snap,
                        "rank": r,
                        "product_id": pids[i],
                        "title": f"Product {i}",
                        "revenue": float(base[i] * period),
                        "sales": int(base[i]),
                        "fetched_at": NOW,
                        "raw": {},
                    }
                    for r, i in enumerate(picks, start=1)
                ]
        put(t.creator_total, creator_totals)
        put(t.creator_products, creator_lists)
    videos = [
        {
            "id": vid,
            "snapshot_date": today,
            "caption": "",
            "creator_id": cids[v % CREATORS],
            "product_id": pids[(v * 7) % products],
            "posted_at": today,
            "fetched_at": NOW,
            "raw": {},
        }
        for v, vid in enumerate(vids)
    ]
    put(t.video_detail, videos)
    return counts


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A fresh schema on the PostgreSQL server of the tests (None when none answers)."""
    import socket

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    server = os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL
    parsed = make_url(server)
    try:
        socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), 2).close()
    except OSError:
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in server else "?"
    try:
        yield f"{server}{sep}options=-csearch_path%3D{schema}"
    finally:
        from tiktok_assets.warehouse.engine import dispose_all

        dispose_all()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def measure(url: str, products: int) -> dict[str, Any]:
    """Fill the warehouse, build yesterday's analytics, then time today's."""
    from tiktok_assets.analytics.alerts import alert_settings_from_env, run_alerts
    from tiktok_assets.analytics.build import BUILDERS, refresh
    from tiktok_assets.warehouse import Warehouse
    from tiktok_assets.warehouse.resource import project_root

    today = NOW.date()
    started = time.perf_counter()
    counts = fill(url, products, today)
    fill_seconds = time.perf_counter() - started
    warehouse = Warehouse(url=url)
    for name in BUILDERS:
        refresh(warehouse, name, today - dt.timedelta(days=1))
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}
    for name in BUILDERS:
        t0 = time.perf_counter()
        result = refresh(warehouse, name, today)
        seconds[name] = time.perf_counter() - t0
        rows[name] = int(result.metadata["dagster/row_count"].value)
    settings = alert_settings_from_env()
    settings = type(settings)(project_root() / "alerts.yaml", None)
    t0 = time.perf_counter()
    summary = run_alerts(warehouse.engine, settings, today, NOW)
    seconds["alerts"] = time.perf_counter() - t0
    rows["alerts"] = summary.new
    return {
        "products": products,
        "history_rows": counts.get("product_history", 0),
        "input_rows": sum(counts.values()),
        "fill_seconds": round(fill_seconds, 1),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "rows": rows,
    }


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    products = 1_000 if quick else 5_000
    results: Result = {"goal_seconds": GOAL_SECONDS}
    results["sqlite"] = measure(sqlite_url(f"analytics-{uuid.uuid4().hex[:8]}.sqlite"), products)
    with postgres_schema() as url:
        if url is not None:
            results["postgresql"] = measure(url, products)
    return results


def report(results: Result) -> str:
    backends = [b for b in ("sqlite", "postgresql") if b in results]
    if not backends:
        return "no warehouse measured"
    first = results[backends[0]]
    lines = [
        f"{first['products']:,} products × {DAYS} days ({first['history_rows']:,} history rows, "
        f"{first['input_rows']:,} input rows); goal < {GOAL_SECONDS:.0f} s per asset",
        "",
    ]
    headers = ["asset", "rows", *(f"{b} (s)" for b in backends)]
    body = [
        [name, first["rows"][name], *(results[b]["seconds"][name] for b in backends)]
        for name in first["seconds"]
    ]
    lines.append(table(headers, body))
    return "\n".join(lines)
