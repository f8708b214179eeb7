"""Any warehouse or analytics table to a file (pandas; pyarrow for Parquet): what
`tiktok-assets export TABLE --format csv|parquet --out PATH [--since DATE] [--period N]` does.

`--since` keeps rows dated on or after DATE (the table's `snapshot_date`, else `date`,
`call_date` or `fired_on`); `--period` keeps one period. JSON columns (`raw`, `body`,
`details`) are written as JSON text. An unknown table or a filter the table cannot take
exits 2 with a message; reads `TIKTOK_WAREHOUSE_URL` (default: the project's SQLite file).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tiktok_assets.warehouse import tables as t

FORMATS = ("csv", "parquet")
DATE_COLUMNS = ("snapshot_date", "date", "call_date", "fired_on")


class ExportError(ValueError):
    """A request the export cannot honour (exit status 2)."""


def build_query(name: str, since: str | None, period: str | None) -> sa.Select:
    """The SELECT of table `name` with the filters, ordered by its primary key."""
    table = t.metadata.tables.get(name)
    if table is None:
        known = ", ".join(sorted(t.metadata.tables))
        raise ExportError(f"unknown table {name!r}; tables: {known}")
    query = sa.select(table).order_by(*table.primary_key.columns)
    if since is not None:
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            raise ExportError(f"--since {since!r} is not an ISO date (YYYY-MM-DD)") from None
        column = next((table.c[c] for c in DATE_COLUMNS if c in table.c), None)
        if column is None:
            raise ExportError(f"table {name!r} has no date column: --since does not apply")
        query = query.where(column >= day)
    if period is not None:
        if not period.isdigit() or int(period) < 1:
            raise ExportError(f"--period {period!r} is not a positive whole number of days")
        if "period" not in table.c:
            raise ExportError(f"table {name!r} has no period column: --period does not apply")
        query = query.where(table.c.period == int(period))
    return query


def export_table(
    engine: sa.Engine,
    name: str,
    fmt: str,
    out: Path,
    *,
    since: str | None = None,
    period: str | None = None,
) -> int:
    """Write table `name` (filtered) to `out` in `fmt`; returns the number of rows."""
    import pandas as pd

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    query = build_query(name, since, period)
    table = t.metadata.tables[name]
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in table.columns])
    for column in table.columns:
        if isinstance(column.type, sa.JSON) or column.name in ("raw", "body", "details"):
            frame[column.name] = [_json(v) for v in frame[column.name]]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False, engine="pyarrow")
    return len(frame)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)
