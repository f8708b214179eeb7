"""The refresh hand-off through a real daemon: a `refresh_requests` run launched over GraphQL
(what a refresh schedule's tick launches, and what a user launches from the UI) records the
day's runs, and `refresh_launch_sensor` (running by default) launches each on its own job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from tests.deploy.conftest import PostgresDatabases
from tests.deploy.deployment import (
    LOCATION,
    Deployment,
    dagster_home,
    project_env,
    running_deployment,
)
from tests.simserver import RunningSim
from tiktok_assets.jobs import FAMILIES
from tiktok_assets.names import LAUNCHED_BY_TAG, REQUESTS_RUN_TAG

REFRESH_TIMEOUT_SECONDS = 90
"""Within the suite's 120 s a test: a slow hand-off fails with its own message."""

LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}
"""


def _launch_recording(deployment: Deployment, cadence: str) -> str:
    """Materialize one partition of `refresh_requests`, as the UI's Materialize button does."""
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "jobName": "refresh_requests_job",
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": cadence}]},
    }
    launched = deployment.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _wait_for_refresh(deployment: Deployment, instance: DagsterInstance, recording: str) -> list:
    """The runs `recording` recorded, once launched and all finished."""
    deadline = time.monotonic() + REFRESH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        deployment.check_alive()
        run = instance.get_run_by_id(recording)
        if run is not None and run.status == DagsterRunStatus.FAILURE:
            raise AssertionError(f"the recording run failed\n{deployment.output()}")
        runs = instance.get_runs(filters=RunsFilter(tags={REQUESTS_RUN_TAG: recording}))
        if runs and all(r.is_finished for r in runs):
            return runs
        time.sleep(1)
    raise AssertionError(
        f"the runs of {recording} not launched and finished after {REFRESH_TIMEOUT_SECONDS} s\n"
        f"{deployment.output()}"
    )


@pytest.mark.e2e
@pytest.mark.postgres
def test_recorded_refresh_runs_are_launched_on_their_own_jobs_by_the_daemon(
    sim: RunningSim,
    postgres_databases: PostgresDatabases,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = dagster_home(tmp_path / "dagster_home")
    instance_env = postgres_databases.instance_env()
    for name, value in {**instance_env, "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)
    env = project_env(
        home, instance_env, sim_url=sim.url, warehouse_url=postgres_databases.warehouse_url
    )
    shops = sim.world.shop_ids()[:2]
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        instance.add_dynamic_partitions("shop_ids", shops)
        with running_deployment(env, tmp_path / "logs") as deployment:
            deployment.start_daemon()
            recording = _launch_recording(deployment, "daily")
            runs = _wait_for_refresh(deployment, instance, recording)
        assert instance.get_run_by_id(recording).job_name == "refresh_requests_job"
        assert {r.status for r in runs} == {DagsterRunStatus.SUCCESS}, [r.tags for r in runs]
        assert {r.job_name for r in runs} <= set(FAMILIES)
        assert {"shop_detail_job", "shop_period_job"} <= {r.job_name for r in runs}
        for run in runs:
            assert run.tags["dagster/sensor_name"] == "refresh_launch_sensor"
            assert run.tags[LAUNCHED_BY_TAG] == "daily_refresh_schedule"
        assert not instance.get_runs(filters=RunsFilter(job_name="__ASSET_JOB"))
    finally:
        instance.dispose()

    engine = sa.create_engine(postgres_databases.warehouse_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            fetched = set(conn.execute(sa.text("SELECT id FROM shop_detail")).scalars())
    finally:
        engine.dispose()
    assert fetched == set(shops)
