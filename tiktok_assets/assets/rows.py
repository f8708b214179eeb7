"""Turning API records into warehouse rows (pure functions, no Dagster, no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tiktok_assets.api.methods import RankedList
from tiktok_assets.api.models import ProductDay, Record


def _columns_of(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in table.columns}


def snapshot_row(
    table: sa.Table,
    record: Record,
    *,
    entity_id: str,
    period: int | None,
    snapshot_date: dt.date,
    fetched_at: dt.datetime,
) -> dict[str, Any]:
    """One day's snapshot of one entity (and period); the partition decides id and period."""
    keys: dict[str, Any] = {"id": entity_id, "snapshot_date": snapshot_date}
    if period is not None:
        keys["period"] = period
    fields = {k: v for k, v in record.as_row().items() if k not in ("id", "period")}
    return _columns_of(table, {**fields, **keys, "fetched_at": fetched_at, "raw": record.raw})


def ranked_rows(
    table: sa.Table,
    ranked: RankedList[Any],
    *,
    owner_column: str,
    owner_id: str,
    period: int,
    snapshot_date: dt.date,
    fetched_at: dt.datetime,
) -> list[dict[str, Any]]:
    """The rows of a ranked list: rank 1 is the first item the server returned."""
    rows = []
    for rank, item in enumerate(ranked.items, start=1):
        fields = {k: v for k, v in item.as_row().items() if k != "id"}
        values = {
            **fields,
            owner_column: owner_id,
            "period": period,
            "snapshot_date": snapshot_date,
            "rank": rank,
            "product_id": item.id,
            "fetched_at": fetched_at,
            "raw": item.raw,
        }
        rows.append(_columns_of(table, values))
    return rows


def history_rows(
    days: Sequence[ProductDay], *, entity_id: str, fetched_at: dt.datetime
) -> list[dict[str, Any]]:
    """One row per product and day; a later fetch of the same day replaces the value."""
    return [
        {
            "id": entity_id,
            "date": day.date,
            "revenue": day.revenue,
            "sales": day.sales,
            "fetched_at": fetched_at,
        }
        for day in days
    ]
