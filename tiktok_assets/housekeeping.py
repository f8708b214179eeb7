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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance, RunRecord

RUN_PAGE = 500
"""Runs read per query while looking for old ones."""
STORAGE_ID_PAGE = 1000
"""Newest materializations looked up per query."""


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


def _old_finished_runs(instance: DagsterInstance, cutoff: dt.datetime) -> list[RunRecord]:
    """Runs that finished (success, failure, canceled) and were created before `cutoff`."""
    from dagster import DagsterRunStatus, RunsFilter

    finished = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
    runs_filter = RunsFilter(statuses=finished, created_before=cutoff)
    records: list[RunRecord] = []
    cursor: str | None = None
    while True:
        page = instance.get_run_records(filters=runs_filter, limit=RUN_PAGE, cursor=cursor)
        records.extend(page)
        if len(page) < RUN_PAGE:
            return records
        cursor = page[-1].dagster_run.run_id


def _horizon(records: list[RunRecord]) -> float:
    """A timestamp after every event of these finished runs (their last end, plus a second)."""
    ends = [r.end_time or r.update_timestamp.timestamp() for r in records]
    return max(ends) + 1.0


def runs_holding_newest(instance: DagsterInstance, before: float) -> set[str]:
    """Runs holding the newest materialization of a partition (or of an unpartitioned asset)
    that happened before the timestamp `before`, over every asset of the instance.

    Only those runs can be old: in a refresh that fetches every tracked id within the kept
    days, they are the runs of ids that left the refresh (few), so this reads few events.
    """
    from dagster import AssetRecordsFilter, DagsterEventType

    storage = instance.event_log_storage
    runs: set[str] = set()
    for asset_key in instance.get_asset_keys():
        latest = storage.get_latest_storage_id_by_partition(
            asset_key, DagsterEventType.ASSET_MATERIALIZATION
        )
        if not latest:
            event = instance.get_latest_materialization_event(asset_key)
            if event is not None and event.timestamp < before:
                runs.add(event.run_id)
            continue
        ids = sorted(latest.values())
        for start in range(0, len(ids), STORAGE_ID_PAGE):
            chunk = ids[start : start + STORAGE_ID_PAGE]
            records = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=asset_key, storage_ids=chunk, before_timestamp=before),
                limit=len(chunk),
            ).records
            runs.update(record.run_id for record in records)
    return runs


def prune_runs(
    instance: DagsterInstance, *, before: dt.datetime, dry_run: bool = False
) -> PruneReport:
    """Delete the finished runs created before `before`, and their events, except those that
    hold the newest materialization of a partition or of an unpartitioned asset."""
    report = PruneReport(cutoff=before, dry_run=dry_run)
    old = _old_finished_runs(instance, before)
    if not old:
        return report
    keep = runs_holding_newest(instance, _horizon(old))
    for record in old:
        run_id = record.dagster_run.run_id
        if run_id in keep:
            report.kept_run_ids.append(run_id)
            continue
        if not dry_run:
            instance.delete_run(run_id)
        report.deleted_run_ids.append(run_id)
    return report
