"""`tiktok-assets instance prune`: old finished runs and their events go, the newest
materialization of every partition stays (and with it the partition's status in the UI), the
warehouse is never touched, a bad `--keep-days` is a clear error."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
)

from tests.assets.support import count_rows, resources, run
from tests.instance.support import partition_stats
from tiktok_assets.assets.products import product_total
from tiktok_assets.cli import main
from tiktok_assets.housekeeping import (
    InvalidKeepDays,
    cutoff_for,
    parse_keep_days,
    prune_runs,
)

ASSET = AssetKey("product_total")


def _materialize(sim, instance: DagsterInstance, warehouse: str, key: str) -> str:
    result = run([product_total], instance, resources(sim, warehouse), partition_key=key)
    assert result.success
    return result.run_id


def _newest(instance: DagsterInstance, partition: str) -> str | None:
    """The run of the partition's newest materialization (what its page in the UI shows)."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=ASSET, asset_partitions=[partition]), limit=1
    ).records
    return records[0].run_id if records else None


def test_prune_deletes_old_runs_and_keeps_the_newest_of_every_partition(
    sim, instance: DagsterInstance, tmp_path: Path
) -> None:
    warehouse = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    a, b, c = sim.world.product_ids()[:3]
    instance.add_dynamic_partitions("product_ids", [a, b, c])
    only_c = _materialize(sim, instance, warehouse, f"{c}|1")  # old, and c's only one
    superseded = _materialize(sim, instance, warehouse, f"{a}|1")  # old, a is fetched again
    time.sleep(0.05)
    cutoff = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    recent = [_materialize(sim, instance, warehouse, f"{k}|1") for k in (a, b)]
    rows = count_rows(warehouse, "product_total")
    journal = count_rows(warehouse, "api_calls")
    assert partition_stats(instance)["numMaterialized"] == 3

    report = prune_runs(instance, before=cutoff)

    assert report.deleted_run_ids == [superseded]
    assert report.kept_run_ids == [only_c]
    assert instance.get_run_by_id(superseded) is None
    assert instance.get_records_for_run(superseded).records == []
    for run_id in (only_c, *recent):
        assert instance.get_run_by_id(run_id) is not None
    assert {p: _newest(instance, f"{p}|1") for p in (a, b, c)} == {
        a: recent[0],
        b: recent[1],
        c: only_c,
    }
    stats = partition_stats(instance)
    assert (stats["numMaterialized"], stats["numFailed"]) == (3, 0)
    # The warehouse keeps every row and every journal entry.
    assert count_rows(warehouse, "product_total") == rows
    assert count_rows(warehouse, "api_calls") == journal


def test_a_dry_run_deletes_nothing(sim, instance: DagsterInstance, tmp_path: Path) -> None:
    warehouse = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    a = sim.world.product_ids()[0]
    instance.add_dynamic_partitions("product_ids", [a])
    first = _materialize(sim, instance, warehouse, f"{a}|1")
    _materialize(sim, instance, warehouse, f"{a}|1")
    report = prune_runs(instance, before=dt.datetime.now(dt.UTC), dry_run=True)
    assert report.deleted_run_ids == [first]
    assert instance.get_run_by_id(first) is not None
    assert "would delete 1 finished run(s)" in report.summary()


def test_runs_not_finished_are_never_deleted(instance: DagsterInstance) -> None:
    for status in (DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED):
        instance.add_run(DagsterRun(job_name="refresh_job", status=status))
    report = prune_runs(instance, before=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert report.deleted_run_ids == []
    assert len(instance.get_runs()) == 2


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", ""])
def test_a_bad_keep_days_is_refused(value: str) -> None:
    with pytest.raises(InvalidKeepDays, match="--keep-days"):
        parse_keep_days(value)


def test_keep_days_sets_the_cutoff() -> None:
    now = dt.datetime(2026, 11, 24, 6, tzinfo=dt.UTC)
    assert parse_keep_days(" 90 ") == 90
    assert cutoff_for(90, now) == dt.datetime(2026, 8, 26, 6, tzinfo=dt.UTC)


def test_the_command_refuses_a_bad_keep_days_and_deletes_nothing(
    instance: DagsterInstance, capsys: pytest.CaptureFixture
) -> None:
    instance.add_run(DagsterRun(job_name="refresh_job", status=DagsterRunStatus.SUCCESS))
    assert main(["instance", "prune", "--keep-days", "0"]) == 2
    err = capsys.readouterr().err
    assert "tiktok-assets instance prune: --keep-days must be 1 or more (got 0)" in err
    assert len(instance.get_runs()) == 1


def test_the_command_prunes_the_instance_at_dagster_home(
    instance: DagsterInstance, capsys: pytest.CaptureFixture
) -> None:
    instance.add_run(DagsterRun(job_name="refresh_job", status=DagsterRunStatus.SUCCESS))
    assert main(["instance", "prune", "--keep-days", "1"]) == 0
    assert "deleted 0 finished run(s) created before" in capsys.readouterr().out
    assert len(instance.get_runs()) == 1


def test_the_command_says_when_there_is_no_instance(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["instance", "prune", "--keep-days", "30"]) == 2
    assert "cannot open the Dagster instance" in capsys.readouterr().err
