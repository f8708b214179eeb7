"""The journal spool: rows the warehouse could not take wait on local disk, and the next run
to open the economy journals them once, so a paid answer is never paid for again."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.economy.fakes import BODY, SHOP, call
from tiktok_assets.api import endpoints as ep
from tiktok_assets.economy import JournalSpool, open_economy
from tiktok_assets.economy.errors import RequestJournalError
from tiktok_assets.economy.journal import SqlRequestJournal
from tiktok_assets.economy.spool import ORPHAN_AFTER_SECONDS
from tiktok_assets.warehouse.tables import api_calls

REQUEST = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setenv("TIKTOK_TODAY", "2026-03-10")
    return dt.date(2026, 3, 10)


@pytest.fixture
def unreachable(tmp_path: Path) -> sa.Engine:
    """An engine on a SQLite file in a folder that does not exist: every statement fails."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gone' / 'warehouse.sqlite'}")
    yield engine
    engine.dispose()


def _journal_rows(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        query = sa.select(api_calls).order_by(api_calls.c.call_id)
        return [dict(r._mapping) for r in conn.execute(query)]


def _open(engine: sa.Engine) -> SqlRequestJournal:
    hooks = open_economy(
        engine,
        bucket="test",
        rate_per_minute=0,
        run_id="rerun",
        monthly_credit_limit=1000,
        credit_reserve=0,
    )
    return hooks["journal"]


def _spool_a_paid_answer(engine: sa.Engine, unreachable: sa.Engine) -> JournalSpool:
    spool = JournalSpool.for_engine(engine)
    journal = SqlRequestJournal(unreachable, run_id="run-1", spool=spool)
    with pytest.raises(RequestJournalError) as raised:
        journal.record(call(REQUEST))
    assert isinstance(raised.value.__cause__, sa.exc.OperationalError)
    return spool


def test_an_answer_the_warehouse_could_not_journal_is_served_by_the_next_run(
    engine: sa.Engine, unreachable: sa.Engine, pinned_today: dt.date
) -> None:
    spool = _spool_a_paid_answer(engine, unreachable)
    assert spool.pending() == 1
    assert _journal_rows(engine) == []

    journal = _open(engine)  # the next run: the spool is journaled first

    assert spool.pending() == 0
    [paid] = _journal_rows(engine)
    assert (paid["route"], paid["entity_id"], paid["status"], paid["credits"]) == (
        REQUEST.route,
        SHOP,
        200,
        1,
    )
    assert (paid["params"], paid["body"], paid["run_id"], paid["call_date"]) == (
        REQUEST.params_key,
        BODY,
        "run-1",
        pinned_today,
    )
    assert paid["cache_hit"] is False and paid["error"] is None
    assert journal.lookup(REQUEST) == BODY  # free, not paid again


def test_replaying_the_same_rows_twice_journals_them_once(
    engine: sa.Engine, unreachable: sa.Engine, pinned_today: dt.date
) -> None:
    spool = _spool_a_paid_answer(engine, unreachable)
    saved = spool.path.read_text()
    assert spool.replay(engine) == 1
    spool.path.write_text(saved)  # as if a crash came between the commit and the clean-up
    assert spool.replay(engine) == 0
    assert len(_journal_rows(engine)) == 1
    assert spool.pending() == 0


def test_a_database_that_is_still_away_keeps_every_row(
    engine: sa.Engine, unreachable: sa.Engine, pinned_today: dt.date
) -> None:
    spool = _spool_a_paid_answer(engine, unreachable)
    with pytest.raises(sa.exc.OperationalError):
        spool.replay(unreachable)
    assert spool.pending() == 1
    assert spool.replay(engine) == 1


def test_an_unreadable_line_is_skipped_and_a_refused_row_stays(
    engine: sa.Engine, unreachable: sa.Engine, pinned_today: dt.date, caplog
) -> None:
    spool = _spool_a_paid_answer(engine, unreachable)
    refused = {"route": REQUEST.route, "params": "{}", "run_id": "r", "attempt": 1}
    refused |= {"duration_ms": None, "credits": 1}
    refused |= {"called_at": "2026-03-10T10:00:00+00:00", "call_date": "2026-03-10"}
    with spool.path.open("a") as file:
        file.write('{"route": "POST /api/v1/tiktok-shop/shop-detail/to\n')  # cut short
        file.write(json.dumps(refused) + "\n")

    assert spool.replay(engine) == 1
    assert len(_journal_rows(engine)) == 1
    assert spool.pending() == 1  # the refused row waits (NOT NULL duration_ms)
    assert "unreadable line of the journal spool" in caplog.text
    assert "the journal refused a spooled row" in caplog.text


def test_an_orphaned_claim_is_taken_over_and_a_live_one_left_alone(
    engine: sa.Engine, unreachable: sa.Engine, pinned_today: dt.date
) -> None:
    spool = _spool_a_paid_answer(engine, unreachable)
    orphan = spool.path.with_name(spool.path.name + ".dead.replaying")
    spool.path.rename(orphan)
    live = spool.path.with_name(spool.path.name + ".live.replaying")
    live.write_text(orphan.read_text())

    assert spool.replay(engine) == 0  # both claims are recent: another process has them
    old = live.stat().st_mtime - ORPHAN_AFTER_SECONDS - 5  # by the file system's clock
    os.utime(orphan, (old, old))
    assert spool.replay(engine) == 1
    assert not orphan.exists() and live.exists()


def test_the_spool_file_is_named_by_a_hash_of_the_url(tmp_path: Path) -> None:
    engine = sa.create_engine("postgresql+psycopg://user:s3cret-pw@db.example:5432/warehouse")
    spool = JournalSpool.for_engine(engine, tmp_path)
    assert spool.path.parent == tmp_path
    assert "s3cret" not in spool.path.name and "example" not in spool.path.name
    other = JournalSpool.for_engine(sa.create_engine("sqlite:///elsewhere.sqlite"), tmp_path)
    assert other.path != spool.path


def test_a_spool_that_cannot_be_written_leaves_the_database_error_to_report(
    engine: sa.Engine, unreachable: sa.Engine, pinned_today: dt.date, tmp_path: Path, caplog
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the spool's folder would have to be created inside a file
    spool = JournalSpool.for_engine(engine, blocker / "spool")
    journal = SqlRequestJournal(unreachable, run_id="run-1", spool=spool)
    with pytest.raises(RequestJournalError) as raised:
        journal.record(call(REQUEST))
    assert isinstance(raised.value.__cause__, sa.exc.OperationalError)
    assert "could not keep the answer in " in caplog.text
