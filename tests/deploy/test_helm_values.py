"""`deploy/helm/values.yaml` for the official Dagster chart (no cluster here to install it): it
parses, serves the code location from the image, takes the secrets from a Secret, and sets the
same queue, pool, monitoring and daemon settings as `deploy/dagster.yaml`."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from tests.deploy.deployment import DEPLOY, ROOT

VALUES: dict[str, Any] = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
INSTANCE: dict[str, Any] = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
SECRET = "tiktok-assets-secrets"
SECRET_KEYS = {"WH_API_KEY", "TIKTOK_WAREHOUSE_URL"}
SETTINGS = {
    "TIKTOK_API_ORIGIN",
    "TIKTOK_API_RATE_PER_MINUTE",
    "TIKTOK_MONTHLY_CREDIT_LIMIT",
    "TIKTOK_CREDIT_RESERVE",
    "TIKTOK_API_CONCURRENCY",
}


def _deployment() -> dict[str, Any]:
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    return deployment


def _env() -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in _deployment()["env"]}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _snake_keys(values: dict[str, Any]) -> dict[str, Any]:
    return {_snake(k): v for k, v in values.items() if k != "enabled"}


def test_the_user_deployment_serves_pyprojects_module_from_the_image() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deployment = _deployment()
    assert VALUES["dagster-user-deployments"]["enabled"] is True
    assert deployment["dagsterApiGrpcArgs"] == [
        "--module-name",
        pyproject["tool"]["dagster"]["module_name"],
    ]
    assert f"EXPOSE {deployment['port']}" in (ROOT / "Dockerfile").read_text()
    assert deployment["image"]["tag"] not in {"", "latest"}
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_secrets_come_from_the_kubernetes_secret(key: str) -> None:
    entry = _env()[key]
    assert "value" not in entry
    assert entry["valueFrom"]["secretKeyRef"] == {"name": SECRET, "key": key}


def test_every_setting_the_resources_read_is_set() -> None:
    env = _env()
    assert set(env) >= SECRET_KEYS | SETTINGS
    for name in SETTINGS - {"TIKTOK_API_ORIGIN"}:
        assert int(env[name]["value"]) >= 0, name


def test_the_instance_database_password_is_not_in_the_values() -> None:
    postgresql = VALUES["postgresql"]
    assert "postgresqlPassword" not in postgresql
    assert VALUES["global"]["postgresqlSecretName"]
    assert VALUES["generatePostgresqlPasswordSecret"] is False
    scheme = INSTANCE["storage"]["postgres"]["postgres_db"]["scheme"]
    assert postgresql["postgresqlScheme"] == scheme


def test_the_queue_and_the_pool_match_the_instance_config() -> None:
    concurrency = VALUES["concurrency"]
    assert concurrency["enabled"] is True
    runs = INSTANCE["concurrency"]["runs"]
    assert concurrency["runs"]["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert concurrency["runs"]["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    assert _snake_keys(concurrency["pools"]) == INSTANCE["concurrency"]["pools"]
    queue = VALUES["dagsterDaemon"]["runCoordinator"]
    assert queue["enabled"] is True and queue["type"] == "QueuedRunCoordinator"
    queue_config = _snake_keys(queue["config"]["queuedRunCoordinator"])
    assert queue_config.items() <= INSTANCE["run_queue"].items()


def test_the_daemon_settings_match_the_instance_config() -> None:
    daemon = VALUES["dagsterDaemon"]
    monitoring = _snake_keys(daemon["runMonitoring"])
    assert monitoring.items() <= INSTANCE["run_monitoring"].items()
    assert monitoring["free_slots_after_run_end_seconds"] > 0
    retries = INSTANCE["run_retries"]
    assert daemon["runRetries"]["enabled"] is retries["enabled"] is True
    assert daemon["runRetries"]["maxRetries"] == retries["max_retries"]
    assert (
        daemon["runRetries"]["retryOnAssetOrOpFailure"] == retries["retry_on_asset_or_op_failure"]
    )
    for section in ("backfills", "sensors", "schedules"):
        assert _snake_keys(daemon[section]) | {"use_threads": True} == INSTANCE[section], section


def test_the_tick_retention_matches_the_instance_config() -> None:
    retention = VALUES["retention"]
    assert retention["enabled"] is True
    for kind in ("schedule", "sensor"):
        assert retention[kind]["purgeAfterDays"] == INSTANCE["retention"][kind]["purge_after_days"]
