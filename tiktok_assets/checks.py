"""Data-quality rules for what the API answers: pure functions over pandas frames.

Each rule returns a `CheckOutcome` whose `failing` list names the ids (or `id|period`
partitions) at fault, so that a check result in the UI says exactly where to look.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


REVENUE_TOLERANCE = 0.02
"""Relative gap allowed between revenue and sales × price (prices and averages are rounded)."""

_MAX_NAMED = 50


@dataclasses.dataclass(frozen=True)
class CheckOutcome:
    """The verdict of one rule over some rows."""

    passed: bool
    description: str
    failing: list[str] = dataclasses.field(default_factory=list)
    checked: int = 0
    what: str = ""


def _verdict(failing: Sequence[str], checked: int, what: str) -> CheckOutcome:
    failing = sorted(set(failing))
    if not failing:
        return CheckOutcome(True, f"{checked} rows checked: {what} holds", [], checked, what)
    named = ", ".join(failing[:_MAX_NAMED]) + (" …" if len(failing) > _MAX_NAMED else "")
    return CheckOutcome(
        False, f"{len(failing)} of {checked} fail ({what}): {named}", failing, checked, what
    )


def combine(outcomes: Sequence[CheckOutcome]) -> CheckOutcome:
    """One verdict from the verdicts of one rule over several batches of rows."""
    what = next((o.what for o in outcomes if o.what), "")
    failing = [label for o in outcomes for label in o.failing]
    return _verdict(failing, sum(o.checked for o in outcomes), what)


def _labels(frame: pd.DataFrame, label_cols: Sequence[str]) -> pd.Series:
    labels = frame[label_cols[0]].astype(str)
    for col in label_cols[1:]:
        labels = labels + "|" + frame[col].astype(str)
    return labels


def numbers_valid(
    frame: pd.DataFrame, columns: Sequence[str], label_cols: Sequence[str]
) -> CheckOutcome:
    """Every value in `columns` is present and not negative."""
    if frame.empty:
        return _verdict([], 0, "numbers present and >= 0")
    import pandas as pd

    values = frame[list(columns)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1) | (values < 0).any(axis=1)
    return _verdict(list(_labels(frame[bad], label_cols)), len(frame), "numbers present and >= 0")


def period_matches(frame: pd.DataFrame, label_cols: Sequence[str]) -> CheckOutcome:
    """The `period` the payload states equals the partition's period."""
    if frame.empty:
        return _verdict([], 0, "payload period equals partition period")
    stated = frame["raw"].map(lambda raw: raw.get("period") if isinstance(raw, dict) else None)
    import pandas as pd

    bad = pd.to_numeric(stated, errors="coerce") != frame["period"]
    return _verdict(
        list(_labels(frame[bad], label_cols)), len(frame), "payload period equals partition period"
    )


def revenue_consistent(
    frame: pd.DataFrame, price_col: str, label_cols: Sequence[str]
) -> CheckOutcome:
    """revenue ≈ sales × price (or × avg_price) within `REVENUE_TOLERANCE`."""
    what = f"revenue = sales x {price_col} within {REVENUE_TOLERANCE:.0%}"
    if frame.empty:
        return _verdict([], 0, what)
    rows = frame.dropna(subset=["revenue", "sales", price_col])
    if rows.empty:
        return _verdict([], 0, what)
    expected = rows["sales"].astype(float) * rows[price_col].astype(float)
    gap = (rows["revenue"].astype(float) - expected).abs()
    bad = gap > REVENUE_TOLERANCE * rows["revenue"].abs().clip(lower=1.0) + 1.0
    return _verdict(list(_labels(rows[bad], label_cols)), len(rows), what)


def list_complete(totals: Iterable[tuple[str, int, int | None]]) -> CheckOutcome:
    """Each ranked list holds exactly `total` rows: (partition, rows, total) triples."""
    checked = 0
    failing: list[str] = []
    for label, rows, total in totals:
        checked += 1
        if total is None or rows != total:
            failing.append(f"{label} ({rows} rows, total {total})")
    return _verdict(failing, checked, "row count equals the list's total")


def history_complete(
    series: Iterable[tuple[str, int, Sequence[dt.date | None]]], yesterday: dt.date
) -> CheckOutcome:
    """Each daily series has `period` consecutive dates, no duplicates, ending yesterday.

    `series` holds (partition, period, dates) triples.
    """
    checked = 0
    failing: list[str] = []
    for label, period, dates in series:
        checked += 1
        if any(d is None for d in dates):
            failing.append(f"{label} (missing dates)")
            continue
        present = sorted(dates)  # type: ignore[type-var]
        expected = [yesterday - dt.timedelta(days=n) for n in range(period - 1, -1, -1)]
        if len(set(present)) != len(present):
            failing.append(f"{label} (duplicate dates)")
        elif present != expected:
            missing = len(set(expected) - set(present))
            failing.append(f"{label} ({missing} days missing, {len(present)} of {period} rows)")
    return _verdict(failing, checked, "one row per day of the period, ending yesterday")
