"""The instance configs load with the settings the deployment relies on: `deploy/dagster.yaml`
(PostgreSQL; validated everywhere, loaded against the server when there is one), the embedded
`dagster_home/dagster.yaml` (SQLite), and `deploy/workspace.yaml`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config

from tests.deploy.conftest import PostgresDatabases
from tests.deploy.deployment import DEPLOY, LOCATION, ROOT, dagster_home
from tiktok_assets.assets.spec import API_POOL

PG_ENV = {
    "DAGSTER_POSTGRES_HOST": "db.example.internal",
    "DAGSTER_POSTGRES_PORT": "5432",
    "DAGSTER_POSTGRES_USER": "dagster",
    "DAGSTER_POSTGRES_PASSWORD": "not-a-real-password",
    "DAGSTER_POSTGRES_DB": "dagster",
}


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_the_deploy_config_takes_every_credential_from_the_environment() -> None:
    postgres_db = _raw(DEPLOY / "dagster.yaml")["storage"]["postgres"]["postgres_db"]
    for name in ("hostname", "port", "username", "password", "db_name"):
        assert set(postgres_db[name]) == {"env"}, name
    assert {v["env"] for k, v in postgres_db.items() if k != "scheme"} == set(PG_ENV)
    # dagster-postgres breaks on psycopg 3, which a bare `postgresql` means to SQLAlchemy 2.1.
    assert postgres_db["scheme"] == "postgresql+psycopg2"


def _storage_config(home: Path):
    """The storage section as dagster-postgres reads it (env resolved), without connecting."""
    config, custom_class = dagster_instance_config(str(home))
    assert custom_class is None
    postgres = config["storage"]["postgres"]
    return config, process_config(DagsterPostgresStorage.config_type(), postgres)


def test_the_deploy_config_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster's schema check and the storage's env resolution, without a server."""
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    config, storage = _storage_config(dagster_home(tmp_path))
    assert storage.success, storage.errors
    assert pg_url_from_config(storage.value) == (
        "postgresql+psycopg2://dagster:not-a-real-password@db.example.internal:5432/dagster"
    )
    assert config["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert config["concurrency"]["pools"]["granularity"] == "op"
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0


def test_the_deploy_config_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PG_ENV:
        monkeypatch.delenv(name, raising=False)
    _, storage = _storage_config(dagster_home(tmp_path))
    assert not storage.success
    assert "DAGSTER_POSTGRES_" in " ".join(e.message for e in storage.errors)


@pytest.mark.postgres
def test_the_deploy_config_runs_an_instance_on_postgres(
    postgres_databases: PostgresDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in postgres_databases.instance_env().items():
        monkeypatch.setenv(name, value)
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home(tmp_path))))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"

        concurrency = instance.get_concurrency_config()
        queue = concurrency.run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 8
        assert queue.should_block_op_concurrency_limited_runs
        assert queue.tag_concurrency_limits == [{"key": "dagster/backfill", "limit": 6}]
        assert concurrency.pool_config.default_pool_limit == 2
        assert concurrency.pool_config.pool_granularity.value == "op"  # type: ignore[union-attr]
        assert instance.event_log_storage.supports_global_concurrency_limits

        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert not instance.run_retries_retry_on_asset_or_op_failure
        assert instance.get_backfill_settings()["use_threads"]
        assert instance.get_sensor_settings()["use_threads"]
        _assert_tick_retention(instance)

        # The pool's limit can be set on its own, and a step's claim honours it.
        instance.event_log_storage.set_concurrency_slots(API_POOL, 3)
        assert instance.event_log_storage.get_concurrency_info(API_POOL).slot_count == 3

        # Storing an event notifies listeners (NOTIFY): the call psycopg 3 cannot make.
        instance.report_runless_asset_event(AssetMaterialization(AssetKey("deploy_check")))
        assert instance.get_latest_materialization_event(AssetKey("deploy_check")) is not None
    finally:
        instance.dispose()


def _assert_tick_retention(instance: DagsterInstance) -> None:
    """Schedule ticks kept 90 days, sensor ticks 90 (skipped ones 7): what both files say."""
    from dagster._core.definitions.run_request import InstigatorType
    from dagster._core.scheduler.instigation import TickStatus

    schedule = instance.get_tick_retention_settings(InstigatorType.SCHEDULE)
    assert set(schedule.values()) == {90}
    sensor = instance.get_tick_retention_settings(InstigatorType.SENSOR)
    assert sensor[TickStatus.SKIPPED] == 7
    assert sensor[TickStatus.SUCCESS] == sensor[TickStatus.FAILURE] == 90


def test_the_embedded_default_loads_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path)))
    try:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        # One event log file: each event stored once, not in a run's file and the index.
        assert type(instance.event_log_storage).__name__ == "ConsolidatedSqliteEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit is not None and pools.default_pool_limit >= 1
        assert instance.event_log_storage.supports_global_concurrency_limits
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        _assert_tick_retention(instance)

        instance.report_runless_asset_event(
            AssetMaterialization(AssetKey("embedded_check"), partition="a")
        )
        assert instance.get_latest_materialization_event(AssetKey("embedded_check")) is not None
        assert (tmp_path / "event_log.db").is_file()
        assert not (tmp_path / "history" / "runs" / "index.db").exists()
    finally:
        instance.dispose()


def test_the_deploy_workspace_loads_the_code_location_from_its_server() -> None:
    (entry,) = _raw(DEPLOY / "workspace.yaml")["load_from"]
    server = entry["grpc_server"]
    assert server["location_name"] == LOCATION
    assert server["host"] == {"env": "TIKTOK_CODE_SERVER_HOST"}
    assert server["port"] == {"env": "TIKTOK_CODE_SERVER_PORT"}
    # The same location name as the local workspace and pyproject's [tool.dagster].
    (local,) = _raw(ROOT / "workspace.yaml")["load_from"]
    assert local["python_module"]["location_name"] == LOCATION
