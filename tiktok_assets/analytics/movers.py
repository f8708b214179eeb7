"""Product movers: week-over-week revenue growth, a 14-day slope and a trend flag.

For `today`, the last week is the 7 days ending yesterday (`today−7 … today−1`) and the
previous week the 7 before (`today−14 … today−8`), as the API's period windows are.

- `revenue_7d`, `revenue_prev_7d`: sums of `product_history` daily revenue over each week
  (null when the week has no day at all); `days_7d`, `days_prev_7d` count the days present;
  `sales_7d`, `sales_prev_7d` are the same sums of daily units sold.
- `growth` = `revenue_7d / revenue_prev_7d − 1`; null when either week misses a day (an
  incomplete week would fake a drop) or the previous week's revenue is 0.
- `slope_14d`: least-squares slope of daily revenue over the days present of the 14-day
  window, in revenue per day (null with fewer than 2 days).
- `trend`: `up` when growth ≥ +15 %, `down` when growth ≤ −15 %, `stable` in between.
  With complete weeks and a previous week of 0: `up` if the last week sold, else `stable`.
  Null when either week is incomplete.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

UP = 0.15
DOWN = -0.15
WINDOW_DAYS = 14
_EPSILON = 1e-9
"""Growth exactly at a threshold counts, whatever the float rounding (80.5 / 70 − 1)."""


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the 14-day window read for `today`."""
    return today - dt.timedelta(days=WINDOW_DAYS), today - dt.timedelta(days=1)


def daily_matrix(history: pd.DataFrame, today: dt.date, value: str = "revenue") -> pd.DataFrame:
    """Daily `value` (revenue or sales), one row per product and one column per day of the
    window (NaN: the day is missing from the history)."""
    import pandas as pd

    first, last = window(today)
    days = pd.date_range(first, last, freq="D")
    if history.empty:
        return pd.DataFrame(columns=days, dtype="float64")
    frame = history.assign(date=pd.to_datetime(history["date"]))
    frame[value] = pd.to_numeric(frame[value], errors="coerce").astype("float64")
    wide = frame.pivot_table(index="id", columns="date", values=value, aggfunc="last")
    return wide.reindex(columns=days)


def product_movers(history: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Today's `product_movers` rows from `product_history` (`id, date, revenue, ...`) rows of
    the 14-day window."""
    import numpy as np
    import pandas as pd

    wide = daily_matrix(history, today)
    columns = ["product_id", "revenue_7d", "revenue_prev_7d", "days_7d", "days_prev_7d"]
    columns += ["sales_7d", "sales_prev_7d"]
    if wide.empty:
        return pd.DataFrame(columns=[*columns, "growth", "slope_14d", "trend"])
    values = wide.to_numpy(dtype="float64")
    present = ~np.isnan(values)
    prev, last = values[:, :7], values[:, 7:]
    days_prev, days_last = present[:, :7].sum(axis=1), present[:, 7:].sum(axis=1)
    rev_prev = np.where(days_prev > 0, np.nansum(prev, axis=1), np.nan)
    rev_last = np.where(days_last > 0, np.nansum(last, axis=1), np.nan)
    complete = (days_prev == 7) & (days_last == 7)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(complete & (rev_prev > 0), rev_last / rev_prev - 1, np.nan)
    slope = _slopes(values, present)
    units = daily_matrix(history, today, "sales").reindex(wide.index).to_numpy(dtype="float64")
    sales_prev = np.where(days_prev > 0, np.nansum(units[:, :7], axis=1), np.nan)
    sales_last = np.where(days_last > 0, np.nansum(units[:, 7:], axis=1), np.nan)
    trend = np.full(len(values), None, dtype=object)
    trend[complete] = "stable"
    trend[complete & (growth >= UP - _EPSILON)] = "up"
    trend[complete & (growth <= DOWN + _EPSILON)] = "down"
    trend[complete & (rev_prev == 0) & (rev_last > 0)] = "up"
    return pd.DataFrame(
        {
            "product_id": wide.index.astype(str),
            "revenue_7d": rev_last,
            "revenue_prev_7d": rev_prev,
            "days_7d": days_last,
            "days_prev_7d": days_prev,
            "sales_7d": pd.array(np.round(sales_last), dtype="Int64"),
            "sales_prev_7d": pd.array(np.round(sales_prev), dtype="Int64"),
            "growth": growth,
            "slope_14d": slope,
            "trend": trend,
        }
    )


def _slopes(values, present):  # type: ignore[no-untyped-def]
    """Per row, the least-squares slope of the present values against the day index."""
    import numpy as np

    x = np.arange(values.shape[1], dtype="float64")
    m = present.astype("float64")
    y = np.where(present, values, 0.0)
    n = m.sum(axis=1)
    sx, sy = (m * x).sum(axis=1), y.sum(axis=1)
    sxx, sxy = (m * x * x).sum(axis=1), (y * x).sum(axis=1)
    denominator = n * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (n * sxy - sx * sy) / denominator
    return np.where((n >= 2) & (denominator > 0), slope, np.nan)
