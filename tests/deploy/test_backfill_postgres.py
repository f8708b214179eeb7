"""The scale-out path end to end: `deploy/dagster.yaml` on PostgreSQL, the code server, webserver
and daemon as separate processes, a 200-partition backfill launched over GraphQL (as the UI
launches it), and every partition in the PostgreSQL warehouse with the simulator's numbers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from tests.conftest import TODAY
from tests.deploy.conftest import PostgresDatabases
from tests.deploy.deployment import Deployment, dagster_home, project_env, running_deployment
from tests.simserver import RunningSim
from tiktok_assets.api.endpoints import AGGREGATE_PERIODS
from tiktok_assets.assets.spec import API_POOL

PRODUCTS = 50
BACKFILL_TIMEOUT_SECONDS = 100
"""Within the suite's 120 s a test: a slow backfill fails with its own message."""

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""

BACKFILL_STATUS = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions error { message } }
    ... on Error { message }
  }
}
"""

PARTITION_STATS = """
query Stats($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode { partitionStats { numMaterialized numPartitions numFailed } }
  }
}
"""

POOL_LIMIT = """
query Pool($pool: String!) {
  instance { concurrencyLimit(concurrencyKey: $pool) { limit usingDefaultLimit } }
}
"""

DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def _most_steps_at_once(instance: DagsterInstance, run_ids: list[str]) -> int:
    """The largest number of the runs' steps executing at the same moment."""
    edges: list[tuple[float, int]] = []
    for run_id in run_ids:
        for record in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START}):
            edges.append((record.timestamp, 1))
        ends = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
        for record in instance.all_logs(run_id, of_type=ends):
            edges.append((record.timestamp, -1))
    running = most = 0
    for _, step in sorted(edges):
        running += step
        most = max(most, running)
    return most


def _wait_for_backfill(deployment: Deployment, backfill_id: str) -> dict:
    deadline = time.monotonic() + BACKFILL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        deployment.check_alive()
        backfill = deployment.graphql(BACKFILL_STATUS, {"id": backfill_id})
        backfill = backfill["partitionBackfillOrError"]
        if backfill.get("status") in DONE:
            return backfill
        time.sleep(2)
    raise AssertionError(
        f"backfill {backfill_id} not done after {BACKFILL_TIMEOUT_SECONDS} s\n{deployment.output()}"
    )


def _step_failures(instance: DagsterInstance) -> str:
    """The step failure messages of every failed run, for a failing assertion."""
    failed = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE]))
    messages = [
        f"run {run.run_id}: {event.dagster_event.step_failure_data.error.message}"
        for run in failed
        for event in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
        if event.dagster_event and event.dagster_event.step_failure_data.error
    ]
    return "\n".join(messages) or "no step failure recorded"


@pytest.mark.e2e
@pytest.mark.postgres
def test_a_200_partition_backfill_lands_in_the_postgres_warehouse(
    sim: RunningSim,
    postgres_databases: PostgresDatabases,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Answers take a while, so steps last long enough for the pool limit to matter.
    sim.configure(latency_ms=300)
    home = dagster_home(tmp_path / "dagster_home")
    instance_env = postgres_databases.instance_env()
    for name, value in {**instance_env, "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)
    env = project_env(
        home,
        instance_env,
        sim_url=sim.url,
        warehouse_url=postgres_databases.warehouse_url,
        TIKTOK_MAX_PARTITIONS_PER_RUN="500",
    )
    ids = sim.world.product_ids()[:PRODUCTS]
    partitions = [f"{pid}|{period}" for pid in ids for period in AGGREGATE_PERIODS]
    assert len(partitions) >= 200

    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        pool_limit = instance.global_op_concurrency_default_limit
        assert pool_limit is not None and pool_limit < len(AGGREGATE_PERIODS)
        # What the discovery sensor would do: the product ids become dynamic partitions.
        instance.add_dynamic_partitions("product_ids", ids)

        with running_deployment(env, tmp_path / "logs") as deployment:
            launched = deployment.graphql(
                LAUNCH_BACKFILL,
                {
                    "params": {
                        "assetSelection": [{"path": ["product_total"]}],
                        "partitionNames": partitions,
                        "title": "deploy test",
                    }
                },
            )["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            backfill_id = launched["backfillId"]
            # Started after the launch, its first backfill iteration picks the backfill up
            # at once (the backfill daemon iterates every 30 s).
            deployment.start_daemon()

            backfill = _wait_for_backfill(deployment, backfill_id)
            assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, (
                f"{backfill}\n{_step_failures(instance)}\n{deployment.output()}"
            )
            assert backfill["numPartitions"] == len(partitions)

            stats = deployment.graphql(PARTITION_STATS, {"key": {"path": ["product_total"]}})
            stats = stats["assetNodeOrError"]["partitionStats"]
            assert stats["numMaterialized"] == len(partitions)
            assert stats["numFailed"] == 0

            # The pool got the instance's default limit the first time a step claimed it.
            pool = deployment.graphql(POOL_LIMIT, {"pool": API_POOL})["instance"]
            assert pool["concurrencyLimit"] == {"limit": pool_limit, "usingDefaultLimit": True}

        # The backfill policy batches partitions: a few runs, not one per partition.
        runs = instance.get_runs(filters=RunsFilter.for_backfill(backfill_id))
        assert 1 <= len(runs) <= len(AGGREGATE_PERIODS), [r.tags for r in runs]
        assert {r.status.value for r in runs} == {"SUCCESS"}
        # The `tiktok_api` pool limit held across the run workers.
        most = _most_steps_at_once(instance, [r.run_id for r in runs])
        assert most <= pool_limit
    finally:
        instance.dispose()

    engine = sa.create_engine(postgres_databases.warehouse_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, period, snapshot_date, revenue, sales, avg_price FROM product_total"
                )
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == len(partitions)
    found = {(r.id, r.period): r for r in rows}
    assert set(found) == {(pid, period) for pid in ids for period in AGGREGATE_PERIODS}
    for (pid, period), row in found.items():
        expected = sim.world.product_total(pid, period, TODAY)
        assert row.snapshot_date == TODAY
        assert (row.revenue, row.sales, row.avg_price) == (
            pytest.approx(expected["revenue"]),
            expected["sales"],
            pytest.approx(expected["avg_price"]),
        ), (pid, period)
