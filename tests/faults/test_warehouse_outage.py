"""The warehouse going away in the middle of a run, for real: the SQLite file's folder moved away
(after the engine's pooled connections are closed), or the PostgreSQL schema renamed, at a
chosen moment of the run; then brought back for the re-run.

- Between the fetch and the write: the write fails, nothing of the run is in the table, and the
  re-run is served by the journal (no credit spent twice).
- While journaling, mid-fetch: the run stops at once; what was fetched before is written once
  the warehouse is back, and the re-run pays only for the rest.
- With an answer in flight: it is paid for but cannot be journaled; the journal spool keeps it
  on local disk and the re-run journals it first, so it is not paid for again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.assets.support import resources, run
from tests.conftest import KEY, POSTGRES_URL
from tests.faults.support import (
    FAST,
    assert_no_answer_paid_twice,
    assert_same_data,
    cache_hits,
    clean_run,
    failure_message,
    journal,
    materialized,
    paid,
    rows,
)
from tiktok_assets.assets import creator_total
from tiktok_assets.assets import fetch as fetch_module
from tiktok_assets.economy.journal import SqlRequestJournal
from tiktok_assets.warehouse import safe_url
from tiktok_assets.warehouse.engine import dispose_all


class Outage:
    """Takes the warehouse at `url` away (`start`) and brings it back (`end`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.active = False
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.folder = Path(parsed.database or "").parent
        else:
            match = re.search(r"search_path%3D(\w+)", url)
            assert match and POSTGRES_URL
            self.schema = match.group(1)

    def _rename_schema(self, old: str, new: str) -> None:
        admin = sa.create_engine(POSTGRES_URL or "", poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"ALTER SCHEMA {old} RENAME TO {new}")
        admin.dispose()

    def start(self) -> None:
        if self.url.startswith("sqlite"):
            dispose_all()  # pooled connections would keep the moved file open
            self.folder.rename(self.folder.with_name(self.folder.name + "-away"))
        else:
            self._rename_schema(self.schema, f"{self.schema}_away")
        self.active = True

    def end(self) -> None:
        if not self.active:
            return
        if self.url.startswith("sqlite"):
            self.folder.with_name(self.folder.name + "-away").rename(self.folder)
        else:
            self._rename_schema(f"{self.schema}_away", self.schema)
        self.active = False


@pytest.fixture
def outage(warehouse_url: str, tmp_path: Path) -> Iterator[Outage]:
    if warehouse_url.startswith("sqlite"):
        warehouse_url = f"sqlite:///{tmp_path / 'lake' / 'warehouse.sqlite'}"
    lost = Outage(warehouse_url)
    yield lost
    lost.end()


def test_the_warehouse_lost_between_the_fetch_and_the_write(
    sim, today, outage, reference_url, instance, monkeypatch
) -> None:
    url = outage.url
    creator = sim.world.creator_ids()[0]
    instance.add_dynamic_partitions("creator_ids", [creator])
    key_range = (f"{creator}|1", f"{creator}|90")
    reference = clean_run(sim, instance, reference_url, [creator_total], key_range=key_range)

    fetch_partitions = fetch_module.fetch_partitions

    async def fetch_then_lose_the_warehouse(*args, **kwargs):
        fetched = await fetch_partitions(*args, **kwargs)
        outage.start()
        return fetched

    monkeypatch.setattr(fetch_module, "fetch_partitions", fetch_then_lose_the_warehouse)
    res = resources(sim, url, **FAST)
    result = run([creator_total], instance, res, key_range=key_range)
    monkeypatch.undo()
    outage.end()

    assert not result.success
    message = failure_message(result)
    assert f"creator_total: writing 4 partition(s) to {safe_url(url)} failed (" in message
    assert re.search(r"failed \((OperationalError|ProgrammingError): ", message)
    assert "that transaction was rolled back (0 partition(s) of earlier batches" in message
    assert "a re-run costs no credits for them" in message
    assert materialized(result, "creator_total") == []
    assert rows(url, "creator_total") == []
    assert len(paid(journal(url))) == 4 == sim.ledger(KEY)["credits_used"]

    again = run([creator_total], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, outage.url) == 4
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 4
    assert_same_data(url, reference)
    assert_no_answer_paid_twice(url)


def test_the_warehouse_lost_while_journaling_stops_the_run(
    sim, today, outage, reference_url, instance, monkeypatch
) -> None:
    url = outage.url
    creators = sim.world.creator_ids()[:2]
    instance.add_dynamic_partitions("creator_ids", creators)
    key_range = (f"{creators[0]}|1", f"{creators[-1]}|90")  # 8 partitions
    reference = clean_run(sim, instance, reference_url, [creator_total], key_range=key_range)

    record, recorded = SqlRequestJournal.record, []

    def record_then_lose_the_warehouse_after_three(journal_self, call) -> None:
        record(journal_self, call)
        recorded.append(call)
        if len(recorded) == 3:
            outage.start()

    fetch_partitions = fetch_module.fetch_partitions

    async def fetch_then_bring_it_back(*args, **kwargs):
        fetched = await fetch_partitions(*args, **kwargs)
        outage.end()  # back before the write: the three answers fetched are written
        return fetched

    monkeypatch.setattr(SqlRequestJournal, "record", record_then_lose_the_warehouse_after_three)
    monkeypatch.setattr(fetch_module, "fetch_partitions", fetch_then_bring_it_back)
    res = resources(sim, url, max_concurrency=1, **FAST)
    result = run([creator_total], instance, res, key_range=key_range)
    monkeypatch.undo()

    assert not result.success
    message = failure_message(result)
    assert "creator_total: the request journal failed while looking up " in message
    cause = r"\(tables api_calls\): (OperationalError|ProgrammingError): "
    assert re.search(rf"on {re.escape(safe_url(url))} {cause}", message)
    assert "then re-run: answers already journaled are not paid again" in message
    assert "3 partition(s) were written and materialized; 4 were not attempted" in message
    assert f"  {creators[0]}|90: " in message  # the partition whose journal look-up failed
    written = materialized(result, "creator_total")
    assert written == sorted(f"{creators[0]}|{p}" for p in (1, 7, 30))
    assert len(rows(url, "creator_total")) == 3
    assert sim.ledger(KEY)["credits_used"] == 3  # nothing was sent once the journal failed
    assert len(paid(journal(url))) == 3

    again = run([creator_total], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, outage.url) == 3
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 8
    assert_same_data(url, reference)
    assert_no_answer_paid_twice(url)


def test_an_answer_paid_while_the_warehouse_is_away_is_not_paid_again(
    sim, today, outage, reference_url, instance, monkeypatch, journal_spool_dir
) -> None:
    url = outage.url
    creators = sim.world.creator_ids()[:2]
    instance.add_dynamic_partitions("creator_ids", creators)
    key_range = (f"{creators[0]}|1", f"{creators[-1]}|90")  # 8 partitions
    reference = clean_run(sim, instance, reference_url, [creator_total], key_range=key_range)

    record, recorded = SqlRequestJournal.record, []

    def lose_the_warehouse_before_the_third_record(journal_self, call) -> None:
        recorded.append(call)
        if len(recorded) == 3:
            outage.start()  # the third answer is paid for, and cannot be journaled
        record(journal_self, call)

    fetch_partitions = fetch_module.fetch_partitions

    async def fetch_then_bring_it_back(*args, **kwargs):
        fetched = await fetch_partitions(*args, **kwargs)
        outage.end()
        return fetched

    monkeypatch.setattr(SqlRequestJournal, "record", lose_the_warehouse_before_the_third_record)
    monkeypatch.setattr(fetch_module, "fetch_partitions", fetch_then_bring_it_back)
    res = resources(sim, url, max_concurrency=1, **FAST)
    result = run([creator_total], instance, res, key_range=key_range)
    monkeypatch.undo()

    assert not result.success
    message = failure_message(result)
    assert "creator_total: the request journal failed while recording a request to " in message
    assert "1 request(s) answered while it was away are kept in " in message
    assert str(journal_spool_dir) in message
    assert "2 partition(s) were written and materialized; 5 were not attempted" in message
    assert len(rows(url, "creator_total")) == 2
    assert sim.ledger(KEY)["credits_used"] == 3
    assert len(paid(journal(url))) == 2  # the third is in the spool

    again = run([creator_total], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, outage.url) == 3  # the spooled answer among them
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 8
    assert_same_data(url, reference)
    assert_no_answer_paid_twice(url)
    assert list(journal_spool_dir.iterdir()) == []
