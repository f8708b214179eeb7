"""Filling a warehouse by hand for the analytics tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse import tables as t

NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)


def insert(url: str, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table`, stamping `fetched_at` and `raw` where the table has them."""
    full = []
    for row in rows:
        row = dict(row)
        if "fetched_at" in table.c:
            row.setdefault("fetched_at", NOW)
        if "raw" in table.c:
            row.setdefault("raw", {})
        full.append(row)
    with Warehouse(url=url).engine.begin() as conn:
        conn.execute(sa.insert(table), full)


def product_total(url: str, day: dt.date, rows: dict[tuple[str, int], tuple[float, int]]) -> None:
    insert(
        url,
        t.product_total,
        [
            {"id": pid, "period": period, "snapshot_date": day, "revenue": rev, "sales": sales}
            for (pid, period), (rev, sales) in rows.items()
        ],
    )


def history(url: str, product_id: str, first: dt.date, revenues: list[float | None]) -> None:
    """Daily rows from `first` on; a None leaves the day out (a missing day)."""
    rows = [
        {
            "id": product_id,
            "date": first + dt.timedelta(days=i),
            "revenue": rev,
            "sales": 0 if rev is None else int(rev // 10),
        }
        for i, rev in enumerate(revenues)
        if rev is not None
    ]
    insert(url, t.product_history, rows)


def read(url: str, name: str) -> pd.DataFrame:
    return Warehouse(url=url).read_table(name)
