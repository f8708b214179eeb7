"""The embedded default under load: four runs in four processes write the same SQLite warehouse
at once (WAL, busy timeout, BEGIN IMMEDIATE in tiktok_assets/warehouse/engine.py), all succeed,
and every row is there exactly once."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from tests.conftest import KEY, TODAY
from tests.deploy.sqlite_writer import materialize_range
from tests.simserver import RunningSim
from tiktok_assets.api.endpoints import AGGREGATE_PERIODS
from tiktok_assets.partitions import product_period

RUNS = 4
PRODUCTS = 40
PER_RUN = 14
"""Products per run: consecutive runs share four products (the same rows, written twice)."""


def _ranges(ids: list[str]) -> list[tuple[str, str]]:
    first, last = str(AGGREGATE_PERIODS[0]), str(AGGREGATE_PERIODS[-1])
    starts = [round(i * (len(ids) - PER_RUN) / (RUNS - 1)) for i in range(RUNS)]
    return [(f"{ids[s]}|{first}", f"{ids[s + PER_RUN - 1]}|{last}") for s in starts]


@pytest.mark.e2e
def test_four_runs_write_one_sqlite_warehouse_at_once(sim: RunningSim, tmp_path: Path) -> None:
    # Slow answers keep every run fetching (and journaling each request) for seconds.
    sim.configure(latency_ms=150)
    warehouse = tmp_path / "warehouse.sqlite"
    env = {
        "WH_API_KEY": KEY,
        "TIKTOK_API_ORIGIN": sim.url,
        "TIKTOK_WAREHOUSE_URL": f"sqlite:///{warehouse}",
        "TIKTOK_TODAY": TODAY.isoformat(),
        "TIKTOK_API_RATE_PER_MINUTE": "0",
        "TIKTOK_API_CONCURRENCY": "4",
    }
    ids = sim.world.product_ids()[:PRODUCTS]
    ranges = _ranges(ids)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("product_ids", ids)
        every_key = product_period.get_partition_keys(dynamic_partitions_store=instance)
    assert ranges[0][0] == every_key[0] and ranges[-1][1] == every_key[-1]

    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(RUNS, mp_context=spawn) as pool:
        barrier = manager.Barrier(RUNS)
        futures = [pool.submit(materialize_range, env, ids, r, barrier) for r in ranges]
        results = [f.result(timeout=100) for f in futures]

    for result in results:
        assert result["success"], result["failures"]
    materialized = [key for result in results for key in result["materialized"]]
    assert set(materialized) == set(every_key)
    assert len(materialized) > len(every_key), "the ranges were meant to overlap"

    # The four runs were writing at the same time: their journaled requests interleave.
    engine = sa.create_engine(f"sqlite:///{warehouse}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            windows = conn.execute(
                sa.text(
                    "SELECT run_id, MIN(called_at) AS first, MAX(called_at) AS last "
                    "FROM api_calls GROUP BY run_id"
                )
            ).all()
            rows = conn.execute(
                sa.text("SELECT id, period, snapshot_date, revenue, sales FROM product_total")
            ).all()
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    finally:
        engine.dispose()
    assert journal == "wal"
    assert {w.run_id for w in windows} == {r["run_id"] for r in results}
    assert max(w.first for w in windows) < min(w.last for w in windows), windows

    keys = [(r.id, r.period, r.snapshot_date) for r in rows]
    assert len(keys) == len(set(keys)) == len(every_key)
    for row in rows:
        expected = sim.world.product_total(row.id, row.period, TODAY)
        assert (row.revenue, row.sales) == (pytest.approx(expected["revenue"]), expected["sales"])
