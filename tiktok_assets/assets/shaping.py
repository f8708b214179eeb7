"""Shapers (answer -> rows) and checks (rows -> verdict) that the entity modules combine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dagster import AssetCheckSeverity

from tiktok_assets import checks as rules
from tiktok_assets.assets.spec import Answered, Check, Shaped, Shaper

if TYPE_CHECKING:
    import pandas as pd

AGGREGATE_LABEL = ("id", "period")


def snapshot(table_name: str) -> Shaper:
    """One row per partition and day."""

    def shape(f: Answered, day: dt.date, at: dt.datetime) -> Shaped:
        from tiktok_assets.assets.rows import snapshot_row
        from tiktok_assets.warehouse.tables import metadata

        table = metadata.tables[table_name]
        row = snapshot_row(
            table, f.value, entity_id=f.entity_id, period=f.period, snapshot_date=day, fetched_at=at
        )
        return Shaped([row])

    return shape


def ranked(table_name: str, owner_column: str) -> Shaper:
    """One row per list item, ranked in the server's order."""

    def shape(f: Answered, day: dt.date, at: dt.datetime) -> Shaped:
        from tiktok_assets.assets.rows import ranked_rows
        from tiktok_assets.warehouse.tables import metadata

        table = metadata.tables[table_name]
        rows = ranked_rows(
            table,
            f.value,
            owner_column=owner_column,
            owner_id=f.entity_id,
            period=f.period or 0,
            snapshot_date=day,
            fetched_at=at,
        )
        return Shaped(rows, list_total=f.value.total)

    return shape


def daily_series(f: Answered, day: dt.date, at: dt.datetime) -> Shaped:
    """One row per product and date."""
    from tiktok_assets.assets.rows import history_rows

    return Shaped(history_rows(f.value, entity_id=f.entity_id, fetched_at=at))


def numbers_check(name: str, columns: Sequence[str], label: Sequence[str]) -> Check:
    """Fails on a missing or negative value in `columns`."""
    return Check(
        name,
        f"{', '.join(columns)} are present and not negative",
        lambda frame, _: rules.numbers_valid(frame, columns, label),
    )


def period_check(name: str) -> Check:
    """Fails when the payload's `period` differs from the partition's."""
    return Check(
        name,
        "the period the API states equals the partition's period",
        lambda frame, _: rules.period_matches(frame, AGGREGATE_LABEL),
    )


def revenue_check(name: str, price_column: str, label: Sequence[str]) -> Check:
    """Warns when revenue is far from sales × price."""
    return Check(
        name,
        f"revenue equals sales × {price_column} within {rules.REVENUE_TOLERANCE:.0%}",
        lambda frame, _: rules.revenue_consistent(frame, price_column, label),
        severity=AssetCheckSeverity.WARN,
    )


def list_total_check(name: str) -> Check:
    """Fails when a ranked list holds fewer or more rows than its `total`."""
    return Check(
        name,
        "each list holds exactly the number of rows the API's `total` announces",
        lambda _, shaped: rules.list_complete(
            (f.key, len(s.rows), s.list_total) for f, s in shaped
        ),
    )


def history_check(name: str) -> Check:
    """Fails on a daily series with gaps, duplicates, or not ending yesterday."""

    def rule(_: pd.DataFrame, shaped: list[tuple[Answered, Shaped]]) -> rules.CheckOutcome:
        from tiktok_assets import clock

        yesterday = clock.today() - dt.timedelta(days=1)
        return rules.history_complete(
            ((f.key, f.period or 0, [r["date"] for r in s.rows]) for f, s in shaped), yesterday
        )

    return Check(name, "one row per day of the period, no gaps or duplicates", rule)
