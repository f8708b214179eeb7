"""`tiktok-assets export`: any table to CSV or Parquet, filters, and clear refusals."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from tests.analytics.support import insert, product_total
from tiktok_assets.analytics.build import refresh
from tiktok_assets.cli import main
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse import tables as t


@pytest.fixture
def filled(warehouse_url, today, monkeypatch) -> str:
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", warehouse_url)
    for ago in (0, 3):
        day = today - dt.timedelta(days=ago)
        product_total(
            warehouse_url,
            day,
            {("1", 7): (10.0 + ago, 1), ("1", 30): (40.0, 4), ("2", 7): (5.0, 1)},
        )
        refresh(Warehouse(url=warehouse_url), "product_leaderboard", day)
    return warehouse_url


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_an_analytics_table_with_filters(filled, today, tmp_path, fmt, capsys) -> None:
    out = tmp_path / "out" / f"board.{fmt}"
    since = (today - dt.timedelta(days=1)).isoformat()
    args = ["export", "product_leaderboard", "--format", fmt, "--out", str(out)]
    assert main([*args, "--since", since, "--period", "7"]) == 0
    frame = pd.read_csv(out, dtype={"product_id": str}) if fmt == "csv" else pd.read_parquet(out)
    assert list(frame["product_id"]) == ["1", "2"]
    assert list(frame["rank"]) == [1, 2]
    assert set(pd.to_datetime(frame["snapshot_date"]).dt.date) == {today}
    assert "wrote 2 rows of product_leaderboard" in capsys.readouterr().out
    assert main(args) == 0  # no filter: both days, both periods
    everything = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert len(everything) == 6


def test_export_a_warehouse_table_with_json(filled, tmp_path) -> None:
    insert(
        filled,
        t.product_detail,
        [{"id": "1", "snapshot_date": dt.date(2026, 11, 24), "title": "Lamp", "raw": {"a": [1]}}],
    )
    out = tmp_path / "detail.parquet"
    assert main(["export", "product_detail", "--format", "parquet", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert json.loads(frame.loc[0, "raw"]) == {"a": [1]}
    assert frame.loc[0, "title"] == "Lamp"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["nope"], "unknown table 'nope'"),
        (["product_leaderboard", "--since", "yesterday"], "is not an ISO date"),
        (["product_leaderboard", "--period", "x"], "not a positive whole number"),
        (["product_detail", "--period", "7"], "has no period column"),
        (["rate_limit_slots", "--since", "2026-01-01"], "has no date column"),
    ],
)
def test_bad_requests_exit_2_with_a_message(extra, message, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'w.sqlite'}")
    out = tmp_path / "x.csv"
    table, *filters = extra
    assert main(["export", table, "--format", "csv", "--out", str(out), *filters]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert not (tmp_path / "w.sqlite").exists()  # refused before opening the warehouse
