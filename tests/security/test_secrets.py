"""The API key never leaves the resource: runs that succeed and runs that fail (a 500 that echoes
nothing, a 401, an unreachable server) with a distinctive key leave no trace of it in the
instance's event log, run records and snapshots, the captured compute logs, the process's own
output, any warehouse table (the journal included) or the failure messages.

The key is bound as the code location binds it (`EnvVar("WH_API_KEY")`): a literal string
given to a resource becomes a config default that Dagster stores in the job snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, EnvVar, ExecuteInProcessResult, instance_for_test
from dagster._serdes import serialize_value

from tests.assets.support import run
from tests.conftest import SECRET_KEY
from tests.faults.support import failure_message
from tests.simserver import RunningSim
from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.assets import creator_total, shop_detail
from tiktok_assets.economy import CreditBudgetResource
from tiktok_assets.resources import resources as code_location_resources
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.tables import metadata

NEEDLES = (SECRET_KEY, SECRET_KEY[8:], SECRET_KEY.encode().hex())
"""The key, its distinctive tail, and its hex form (as a bytes dump would show it)."""


def _leaks(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle in text]


def test_the_leak_check_sees_the_key() -> None:
    assert _leaks(f"headers: X-API-Key={SECRET_KEY}") == [SECRET_KEY, SECRET_KEY[8:]]
    assert _leaks(f"key {SECRET_KEY[8:]}") == [SECRET_KEY[8:]]


@pytest.fixture
def persistent_instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """An instance on disk (runs, events and compute logs in files we can read back)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with instance_for_test(temp_dir=str(home)) as instance:
        yield instance


def _api(origin: str, **settings) -> TikTokShopAPI:
    """The API resource as the code location binds its key, with fast retries."""
    return TikTokShopAPI(
        api_key=EnvVar("WH_API_KEY"),
        origin=origin,
        rate_per_minute=0,
        max_retries=2,
        backoff_seconds=0.01,
        **settings,
    )


def _run_texts(instance: DagsterInstance, result: ExecuteInProcessResult) -> list[str]:
    """Every event record, the run (config, tags) and its snapshots, serialized."""
    dagster_run = instance.get_run_by_id(result.run_id)
    assert dagster_run is not None
    texts = [serialize_value(event) for event in instance.all_logs(result.run_id)]
    records = instance.get_records_for_run(result.run_id, limit=10_000).records
    texts += [serialize_value(record) for record in records]
    texts.append(serialize_value(dagster_run))
    texts.append(serialize_value(instance.get_job_snapshot(dagster_run.job_snapshot_id)))
    plan_id = dagster_run.execution_plan_snapshot_id
    assert plan_id is not None
    texts.append(serialize_value(instance.get_execution_plan_snapshot(plan_id)))
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            texts += [error.message, "".join(error.stack)]
            error = error.cause
    return texts


def _warehouse_texts(url: str) -> list[str]:
    """Every value of every column of every warehouse table."""
    texts = []
    engine = Warehouse(url=url).engine
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                texts += [repr(value) for value in row]
    return texts


def _file_texts(folder: Path) -> dict[str, str]:
    """Each file under `folder` (databases, compute logs), as text, undecodable bytes kept."""
    return {
        str(path): path.read_bytes().decode("utf-8", "backslashreplace")
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_the_key_never_appears_in_logs_events_journal_or_errors(
    sim: RunningSim,
    today,
    tmp_path: Path,
    persistent_instance: DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse' / 'warehouse.sqlite'}"
    monkeypatch.setenv("WH_API_KEY", SECRET_KEY)
    monkeypatch.setenv("TIKTOK_API_ORIGIN", sim.url)
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", url)
    monkeypatch.setenv("TIKTOK_API_RATE_PER_MINUTE", "0")
    instance = persistent_instance
    shops, creators = sim.world.shop_ids()[:2], sim.world.creator_ids()[:3]
    instance.add_dynamic_partitions("shop_ids", shops)
    instance.add_dynamic_partitions("creator_ids", creators)
    budget = CreditBudgetResource()
    results: dict[str, ExecuteInProcessResult] = {}

    # Success, with the code location's own resources.
    deployed = code_location_resources()
    results["success"] = run([shop_detail], instance, deployed, key_range=(shops[0], shops[1]))
    assert results["success"].success

    def with_api(api: TikTokShopAPI) -> dict:
        return {"api": api, "warehouse": Warehouse(url=url), "credit_budget": budget}

    # Every answer a 500 that echoes nothing: retried (a warning logged each time), then failed.
    sim.configure(error_rate=1.0)
    results["500"] = run(
        [creator_total], instance, with_api(_api(sim.url)), partition_key=f"{creators[0]}|30"
    )
    sim.configure(error_rate=0.0)
    # The key is revoked: 401.
    sim.configure(api_keys={k: v for k, v in sim.config.api_keys.items() if k != SECRET_KEY})
    results["401"] = run([creator_total], instance, deployed, partition_key=f"{creators[1]}|30")
    # Nobody listens at the origin: connection refused.
    results["unreachable"] = run(
        [creator_total],
        instance,
        with_api(_api("http://127.0.0.1:9", timeout_seconds=1.0)),
        partition_key=f"{creators[2]}|30",
    )
    expected = {
        "500": "HTTP 500 (gave up after 3 attempts) — server said: 'Internal server error'",
        "401": "HTTP 401 — server said: 'Unauthorized'",
        "unreachable": "could not reach http://127.0.0.1:9 (ConnectError",
    }
    for name, text in expected.items():
        assert not results[name].success, name
        assert text in failure_message(results[name]), name

    # The key was sent (the simulator accounted for it) ...
    ledger = sim.ledger(SECRET_KEY)
    assert ledger["credits_used"] == 2 and ledger["responses"]["500"] == 3
    assert sim.state.ledger.unauthorized == 1
    # ... and is nowhere the project or Dagster wrote.
    found: dict[str, list[str]] = {}
    for name, result in results.items():
        texts = _run_texts(instance, result)
        assert any(result.run_id in t for t in texts)
        for i, text in enumerate(texts):
            if leaked := _leaks(text):
                found[f"run {name}, text {i}: {text[:200]!r}"] = leaked
    for i, text in enumerate(_warehouse_texts(url)):
        if leaked := _leaks(text):
            found[f"warehouse value {i}: {text[:200]!r}"] = leaked
    files = _file_texts(Path(instance.root_directory)) | _file_texts(tmp_path / "warehouse")
    compute_logs = {p: t for p, t in files.items() if "compute_logs" in p}
    assert any("HTTP 401" in t for t in compute_logs.values()), "no compute log captured"
    for path, text in files.items():
        if leaked := _leaks(text):
            found[path] = leaked
    out, err = capfd.readouterr()
    for name, text in (("stdout", out), ("stderr", err), ("log records", caplog.text)):
        if leaked := _leaks(text):
            found[name] = leaked
    assert "HTTP 401" in err + out  # the process's output was captured
    assert "retry 2/2" in caplog.text  # the client's retry warnings too
    assert not found, f"the key leaked into: {found}"
    # The job snapshot names the variable, not its value.
    snapshot = _run_texts(instance, results["success"])
    assert any("WH_API_KEY" in t for t in snapshot)


def test_a_literal_key_lands_in_the_job_snapshot_which_the_check_reads(
    sim: RunningSim, today, tmp_path: Path, persistent_instance: DagsterInstance
) -> None:
    """The positive control of the test above, and why the code location binds an `EnvVar`:
    a resource built with the key as a literal string carries it as a config default into the
    job snapshot Dagster stores with every run (only there)."""
    url = f"sqlite:///{tmp_path / 'warehouse' / 'warehouse.sqlite'}"
    shop = sim.world.shop_ids()[0]
    persistent_instance.add_dynamic_partitions("shop_ids", [shop])
    literal = {
        "api": TikTokShopAPI(api_key=SECRET_KEY, origin=sim.url, rate_per_minute=0),
        "warehouse": Warehouse(url=url),
        "credit_budget": CreditBudgetResource(),
    }
    result = run([shop_detail], persistent_instance, literal, partition_key=shop)
    assert result.success
    dagster_run = persistent_instance.get_run_by_id(result.run_id)
    assert dagster_run is not None
    snapshot = serialize_value(persistent_instance.get_job_snapshot(dagster_run.job_snapshot_id))
    assert SECRET_KEY in snapshot
    texts = _run_texts(persistent_instance, result)
    assert [t for t in texts if _leaks(t)] == [snapshot]
    assert not any(_leaks(t) for t in _warehouse_texts(url))
