"""A run works through its range in write batches and fetches batch n + 1 while batch n is
written and reported. Here with batches of 4 partitions (3 creators × 4 periods = 3 batches):

- the next batch's requests go out while a batch is being stored, and the result equals a
  clean run's;
- a write that fails lets the batch already in flight finish and reach the journal, so the
  re-run pays only for the batch never requested;
- a run-stopping answer in one batch leaves the later batches unrequested.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from tests.assets.support import resources, run
from tests.conftest import KEY
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

BATCH = 4


@pytest.fixture
def creators(sim, instance, monkeypatch) -> list[str]:
    """Three creators (12 partitions, 3 write batches) added to the instance."""
    monkeypatch.setenv("TIKTOK_WRITE_BATCH_PARTITIONS", str(BATCH))
    ids = sim.world.creator_ids()[:3]
    instance.add_dynamic_partitions("creator_ids", ids)
    return ids


def _range(creators: list[str]) -> tuple[str, str]:
    return f"{creators[0]}|1", f"{creators[-1]}|90"


def _wait_for_requests(sim, count: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sim.ledger(KEY)["requests"] >= count:
            return True
        time.sleep(0.05)
    return False


def test_the_next_batch_is_fetched_while_one_is_written(
    sim, today, creators, warehouse_url, reference_url, instance, monkeypatch
) -> None:
    key_range = _range(creators)
    reference = clean_run(sim, instance, reference_url, [creator_total], key_range=key_range)

    write_batch, seen_while_storing = fetch_module.FetchRun.write, []

    def store_once_the_next_batch_is_requested(*args: Any) -> None:
        if not seen_while_storing:
            # Storing the first batch waits until the second batch's requests arrived:
            # without the overlap, they would never come and this would time out.
            seen_while_storing.append(_wait_for_requests(sim, 2 * BATCH))
        write_batch(*args)

    monkeypatch.setattr(fetch_module.FetchRun, "write", store_once_the_next_batch_is_requested)
    result = run([creator_total], instance, resources(sim, warehouse_url), key_range=key_range)

    assert result.success, failure_message(result)
    assert seen_while_storing == [True]
    assert len(materialized(result, "creator_total")) == 12
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 12
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_a_failed_write_lets_the_batch_in_flight_reach_the_journal(
    sim, today, creators, warehouse_url, reference_url, instance, monkeypatch
) -> None:
    key_range = _range(creators)
    reference = clean_run(sim, instance, reference_url, [creator_total], key_range=key_range)
    # Slow answers, one at a time: the second batch is still in flight when the write fails.
    sim.configure(latency_ms=150)

    write, writes = fetch_module._write, []

    def fail_the_first_write(conn: sa.Connection, *args: Any) -> int:
        writes.append(len(writes))
        if len(writes) == 1:
            raise sa.exc.OperationalError("INSERT INTO creator_total", {}, Exception("disk I/O"))
        return write(conn, *args)

    monkeypatch.setattr(fetch_module, "_write", fail_the_first_write)
    res = resources(sim, warehouse_url, max_concurrency=1, **FAST)
    result = run([creator_total], instance, res, key_range=key_range)
    monkeypatch.undo()

    assert not result.success
    message = failure_message(result)
    assert "creator_total: writing 4 partition(s) to " in message
    assert "failed (OperationalError: (builtins.Exception) disk I/O" in message
    assert materialized(result, "creator_total") == []
    assert rows(warehouse_url, "creator_total") == []
    # The first batch, and the second one that was being fetched during the failed write,
    # are paid and journaled; the third was never requested.
    assert len(paid(journal(warehouse_url))) == 2 * BATCH == sim.ledger(KEY)["credits_used"]

    sim.configure(latency_ms=0)
    again = run([creator_total], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, warehouse_url) == 2 * BATCH
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 12
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_a_stop_in_one_batch_leaves_the_later_batches_unrequested(
    sim, today, creators, warehouse_url, instance
) -> None:
    sim.configure(monthly_credit_limit=6)  # runs out in the second batch
    res = resources(sim, warehouse_url, max_concurrency=1, **FAST)
    result = run([creator_total], instance, res, key_range=_range(creators))

    assert not result.success
    message = failure_message(result)
    assert "creator_total: the run stopped at once — " in message
    assert "6 partition(s) were written and materialized; 5 were not attempted" in message
    assert len(materialized(result, "creator_total")) == 6
    assert len(rows(warehouse_url, "creator_total")) == 6
    ledger = sim.ledger(KEY)
    assert (ledger["credits_used"], ledger["credit_limited"]) == (6, 1)
    assert ledger["requests"] == 7  # nothing of the third batch was sent
