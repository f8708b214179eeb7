"""Product movers: week-over-week growth, slope and trend (pure function and warehouse)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.analytics.support import history, read
from tiktok_assets.analytics.build import refresh
from tiktok_assets.analytics.movers import product_movers
from tiktok_assets.warehouse import Warehouse

TODAY = dt.date(2026, 11, 24)
START = TODAY - dt.timedelta(days=14)


def _frame(series: dict[str, list[float | None]]) -> pd.DataFrame:
    rows = [
        (pid, START + dt.timedelta(days=i), rev)
        for pid, revenues in series.items()
        for i, rev in enumerate(revenues)
        if rev is not None
    ]
    return pd.DataFrame(rows, columns=["id", "date", "revenue"]).assign(sales=1)


@pytest.mark.parametrize(
    ("prev", "last", "growth", "trend"),
    [
        ([10.0] * 7, [12.0] * 7, 0.2, "up"),
        ([10.0] * 7, [11.5] * 7, 0.15, "up"),
        ([10.0] * 7, [11.0] * 7, 0.1, "stable"),
        ([10.0] * 7, [8.5] * 7, -0.15, "down"),
        ([10.0] * 7, [5.0] * 7, -0.5, "down"),
        ([0.0] * 7, [5.0] * 7, None, "up"),
        ([0.0] * 7, [0.0] * 7, None, "stable"),
        ([10.0] * 6 + [None], [12.0] * 7, None, None),
        ([10.0] * 7, [None, *([12.0] * 6)], None, None),
    ],
)
def test_growth_and_trend(prev, last, growth, trend) -> None:
    row = product_movers(_frame({"1": prev + last}), TODAY).iloc[0]
    assert row["revenue_prev_7d"] == pytest.approx(sum(v for v in prev if v is not None))
    assert row["revenue_7d"] == pytest.approx(sum(v for v in last if v is not None))
    if growth is None:
        assert np.isnan(row["growth"])
    else:
        assert row["growth"] == pytest.approx(growth)
    assert row["trend"] == trend


def test_slope_is_the_least_squares_slope_over_the_days_present() -> None:
    revenues = [float(3 * i + 5) for i in range(14)]
    revenues[4] = None  # a missing day does not bend a straight line
    row = product_movers(_frame({"1": revenues}), TODAY).iloc[0]
    assert row["slope_14d"] == pytest.approx(3.0)
    noisy = [1.0, 4.0, 2.0, 8.0, 3.0, 9.0, 7.0, 12.0, 6.0, 15.0, 11.0, 13.0, 18.0, 14.0]
    x = np.arange(14)
    expected = np.polyfit(x, noisy, 1)[0]
    assert product_movers(_frame({"2": noisy}), TODAY).iloc[0]["slope_14d"] == pytest.approx(
        expected
    )


def test_days_outside_the_window_are_ignored() -> None:
    frame = _frame({"1": [10.0] * 14})
    extra = pd.DataFrame(
        [("1", TODAY, 1000.0, 1), ("1", START - dt.timedelta(days=1), 1000.0, 1)],
        columns=["id", "date", "revenue", "sales"],
    )
    row = product_movers(pd.concat([frame, extra]), TODAY).iloc[0]
    assert (row["revenue_7d"], row["revenue_prev_7d"], row["growth"]) == (70.0, 70.0, 0.0)


def test_movers_from_the_warehouse_missing_history_gives_null_growth(warehouse_url, today) -> None:
    history(warehouse_url, "1", START, [10.0] * 7 + [20.0] * 7)
    history(warehouse_url, "2", START + dt.timedelta(days=7), [5.0] * 7)  # no previous week
    history(warehouse_url, "3", START, [10.0] * 3 + [None] + [10.0] * 10)  # a missing day
    result = refresh(Warehouse(url=warehouse_url), "product_movers", today)
    movers = read(warehouse_url, "product_movers").set_index("product_id")
    assert movers.loc["1", "growth"] == pytest.approx(1.0) and movers.loc["1", "trend"] == "up"
    assert (movers.loc["1", "sales_prev_7d"], movers.loc["1", "sales_7d"]) == (7, 14)
    assert pd.isna(movers.loc["2", "growth"]) and pd.isna(movers.loc["2", "revenue_prev_7d"])
    assert pd.isna(movers.loc["3", "growth"]) and movers.loc["3", "days_prev_7d"] == 6
    assert movers.loc["3", "revenue_prev_7d"] == 60.0
    assert result.metadata["trend_up"].value == 1
    assert result.metadata["growth_unknown"].value == 2
    assert "data:image/png;base64," in result.metadata["preview"].value
