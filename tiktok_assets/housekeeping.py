"""Housekeeping of the Dagster instance: delete old runs and their events, keep what the UI shows.

A year of the daily refresh is millions of partition materializations; the instance (runs,
event log) is what the UI, the sensors and the schedules read on every tick. `prune_runs`
deletes finished runs created before a cutoff, with their events, through Dagster's public
`DagsterInstance.delete_run`. It never touches the warehouse (the numbers live there, not in
the event log), never deletes a run still queued or in progress, and keeps every run that holds
the newest materialization of a partition (or of an unpartitioned asset): each partition stays
materialized in the UI with its latest materialization and metadata, including the partitions of
ids that left the refresh (dormant ids leave the refresh, not history).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

RUN_PAGE = 500
"""Runs read per query while looking for old ones."""


class InvalidKeepDays(ValueError):
    """`--keep-days` is not a whole number of days of at least 1."""


def parse_keep_days(value: object) -> int:
    """The number of days of runs to keep, from a command-line value; InvalidKeepDays if bad."""
    text = str(value).strip()
    try:
        days = int(text)
    except ValueError:
        raise InvalidKeepDays(
            f"--keep-days must be a whole number of days (1 or more), not {text!r}"
        ) from None
    if days < 1:
        raise InvalidKeepDays(
            f"--keep-days must be 1 or more (got {days}): runs of the last N days are kept, "
            "and 0 would delete the run of today's refresh"
        )
    return days


def cutoff_for(keep_days: int, now: dt.datetime | None = None) -> dt.datetime:
    """The moment before which runs are old: `keep_days` days before `now` (UTC)."""
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days)


@dataclass
class PruneReport:
    """What a prune deleted (or, on a dry run, would delete) and what it kept."""

    cutoff: dt.datetime
    deleted_run_ids: list[str] = field(default_factory=list)
    kept_run_ids: list[str] = field(default_factory=list)
    """Old runs kept because they hold the newest materialization of a partition."""
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (
            f"{verb} {len(self.deleted_run_ids)} finished run(s) created before "
            f"{self.cutoff.isoformat(timespec='seconds')}, with their events; kept "
            f"{len(self.kept_run_ids)} older run(s) that hold the newest materialization of a "
            "partition. The warehouse is not touched."
        )


def _old_finished_runs(instance: DagsterInstance, cutoff: dt.datetime) -> Iterator[str]:
    """Ids of runs that finished (success, failure, canceled) and were created before `cutoff`."""
    from dagster import DagsterRunStatus, RunsFilter

    finished = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
    runs_filter = RunsFilter(statuses=finished, created_before=cutoff)
    cursor: str | None = None
    while True:
        records = instance.get_run_records(filters=runs_filter, limit=RUN_PAGE, cursor=cursor)
        for record in records:
            yield record.dagster_run.run_id
        if len(records) < RUN_PAGE:
            return
        cursor = records[-1].dagster_run.run_id


def newest_materializations(instance: DagsterInstance) -> tuple[set[int], set[str]]:
    """(storage ids of the newest materialization of every partition, run ids of the newest
    materialization of every unpartitioned asset), over every asset of the instance."""
    from dagster import DagsterEventType

    storage_ids: set[int] = set()
    run_ids: set[str] = set()
    for asset_key in instance.get_asset_keys():
        latest = instance.event_log_storage.get_latest_storage_id_by_partition(
            asset_key, DagsterEventType.ASSET_MATERIALIZATION
        )
        storage_ids.update(latest.values())
        if not latest:
            event = instance.get_latest_materialization_event(asset_key)
            if event is not None and event.run_id:
                run_ids.add(event.run_id)
    return storage_ids, run_ids


def _holds_newest(instance: DagsterInstance, run_id: str, newest: set[int]) -> bool:
    """Whether any materialization of the run is the newest of its partition."""
    from dagster import DagsterEventType

    cursor: str | None = None
    while True:
        page = instance.get_records_for_run(
            run_id, cursor=cursor, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=1000
        )
        if any(record.storage_id in newest for record in page.records):
            return True
        if not page.has_more:
            return False
        cursor = page.cursor


def prune_runs(
    instance: DagsterInstance, *, before: dt.datetime, dry_run: bool = False
) -> PruneReport:
    """Delete the finished runs created before `before`, and their events, except those that
    hold the newest materialization of a partition or of an unpartitioned asset."""
    report = PruneReport(cutoff=before, dry_run=dry_run)
    old = list(_old_finished_runs(instance, before))
    if not old:
        return report
    newest_ids, newest_runs = newest_materializations(instance)
    for run_id in old:
        if run_id in newest_runs or _holds_newest(instance, run_id, newest_ids):
            report.kept_run_ids.append(run_id)
            continue
        if not dry_run:
            instance.delete_run(run_id)
        report.deleted_run_ids.append(run_id)
    return report
