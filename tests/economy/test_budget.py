"""The monthly credit budget: never more than limit - reserve credits a month."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from tests.economy.fakes import SHOP, FakeClock, call
from tiktok_assets.api import endpoints as ep
from tiktok_assets.api.errors import CreditBudgetExceeded
from tiktok_assets.economy.budget import (
    BudgetSettings,
    MonthlyCreditBudget,
    budget_settings_from_env,
    month_reset_date,
)
from tiktok_assets.economy.journal import SqlRequestJournal

REQUEST = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)


class Day:
    """A settable `today`; also pins the journal's `call_date` through TIKTOK_TODAY."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
        self._monkeypatch = monkeypatch
        self.set(day)

    def set(self, day: dt.date) -> None:
        self.day = day
        self._monkeypatch.setenv("TIKTOK_TODAY", day.isoformat())

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture
def day(monkeypatch: pytest.MonkeyPatch) -> Day:
    return Day(monkeypatch, dt.date(2026, 2, 27))


def _economy(
    engine: sa.Engine, day: Day, *, limit: int, reserve: int = 0, refresh: float = 3600.0
) -> tuple[MonthlyCreditBudget, SqlRequestJournal, FakeClock]:
    monotonic = FakeClock()
    budget = MonthlyCreditBudget(
        engine,
        monthly_credit_limit=limit,
        credit_reserve=reserve,
        refresh_seconds=refresh,
        reservation_ttl_seconds=600.0,
        today=day,
        monotonic=monotonic,
    )
    journal = SqlRequestJournal(engine, run_id="r", listeners=[budget.observe])
    return budget, journal, monotonic


def _paid(budget: MonthlyCreditBudget, journal: SqlRequestJournal, n: int = 1) -> None:
    for _ in range(n):
        budget.ensure_available(REQUEST)
        journal.record(call(REQUEST))


def test_refuses_past_limit_minus_reserve_with_the_numbers(engine: sa.Engine, day: Day) -> None:
    budget, journal, _ = _economy(engine, day, limit=5, reserve=2)
    _paid(budget, journal, 3)
    with pytest.raises(CreditBudgetExceeded) as refused:
        budget.ensure_available(REQUEST)
    message = str(refused.value)
    for part in (
        "limit 5",
        "reserve 2",
        "3 usable",
        "3 spent",
        "only 0 remain",
        "2026-02",
        "reset on 2026-03-01",
        REQUEST.route,
        SHOP,
    ):
        assert part in message
    assert (refused.value.route, refused.value.id) == (REQUEST.route, SHOP)
    assert budget.spent() == 3 and budget.remaining() == 0


def test_counts_in_memory_between_reads(engine: sa.Engine, day: Day) -> None:
    budget, journal, _ = _economy(engine, day, limit=1000)
    sums: list[str] = []

    def count_sums(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "sum(" in statement.lower():
            sums.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count_sums)
    try:
        _paid(budget, journal, 25)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_sums)
    assert len(sums) == 1
    assert budget.spent() == 25


def test_concurrent_requests_in_flight_cannot_overshoot(engine: sa.Engine, day: Day) -> None:
    """Reservations count before any answer is recorded."""
    budget, _, _ = _economy(engine, day, limit=10, reserve=3)
    allowed: list[int] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(5):
            try:
                budget.ensure_available(REQUEST)
            except CreditBudgetExceeded:
                continue
            allowed.append(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 7


def test_failed_requests_give_their_reservation_back(engine: sa.Engine, day: Day) -> None:
    budget, journal, monotonic = _economy(engine, day, limit=2)
    budget.ensure_available(REQUEST)
    journal.record(call(REQUEST, status=404, body=None, error="not found"))
    assert budget.spent() == 0  # a 404 is never retried: released at once
    budget.ensure_available(REQUEST)
    journal.record(call(REQUEST, status=500, body=None, error="boom"))
    assert budget.spent() == 1  # a 5xx may be retried: still reserved
    journal.record(call(REQUEST, attempt=2))
    assert budget.spent() == 1  # the retry succeeded: now recorded spend
    budget.ensure_available(REQUEST)
    journal.record(call(REQUEST, status=500, body=None, error="boom"))
    with pytest.raises(CreditBudgetExceeded):
        budget.ensure_available(REQUEST)
    monotonic.advance(601.0)  # the abandoned reservation expires
    budget.ensure_available(REQUEST)


def test_sees_other_processes_after_the_refresh_delay(engine: sa.Engine, day: Day) -> None:
    budget, _, monotonic = _economy(engine, day, limit=100, refresh=30.0)
    assert budget.spent() == 0
    other = SqlRequestJournal(engine, run_id="other")
    for _ in range(4):
        other.record(call(REQUEST))
    assert budget.spent() == 0
    monotonic.advance(30.0)
    assert budget.spent() == 4


def test_refreshes_before_refusing(engine: sa.Engine, day: Day) -> None:
    budget, journal, _ = _economy(engine, day, limit=2)
    _paid(budget, journal, 2)
    with engine.begin() as conn:  # spend corrected by hand (e.g. a test row removed)
        conn.exec_driver_sql("DELETE FROM api_calls")
    budget.ensure_available(REQUEST)  # would refuse without re-reading the journal
    assert budget.spent() == 1  # the new reservation only


def test_check_run(engine: sa.Engine, day: Day) -> None:
    budget, journal, _ = _economy(engine, day, limit=20, reserve=5)
    _paid(budget, journal, 4)
    assert budget.check_run(11) == 11
    with pytest.raises(CreditBudgetExceeded) as refused:
        budget.check_run(12)
    message = str(refused.value)
    for part in ("12 credit(s) needed", "only 11 remain", "limit 20", "reserve 5", "4 spent"):
        assert part in message
    assert refused.value.route == "run plan"


def test_a_new_month_starts_from_zero(engine: sa.Engine, day: Day) -> None:
    budget, journal, _ = _economy(engine, day, limit=3)
    _paid(budget, journal, 2)
    day.set(dt.date(2026, 2, 28))
    _paid(budget, journal, 1)
    with pytest.raises(CreditBudgetExceeded, match="reset on 2026-03-01"):
        budget.ensure_available(REQUEST)
    day.set(dt.date(2026, 3, 1))
    assert budget.spent() == 0
    _paid(budget, journal, 3)
    with pytest.raises(CreditBudgetExceeded, match="reset on 2026-04-01"):
        budget.ensure_available(REQUEST)


@pytest.mark.parametrize(
    ("today", "reset"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 1)),
        (dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        (dt.date(2026, 12, 15), dt.date(2027, 1, 1)),
    ],
)
def test_month_reset_date(today: dt.date, reset: dt.date) -> None:
    assert month_reset_date(today) == reset


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOK_MONTHLY_CREDIT_LIMIT", raising=False)
    monkeypatch.delenv("TIKTOK_CREDIT_RESERVE", raising=False)
    assert budget_settings_from_env() == BudgetSettings(20_000, 0)
    monkeypatch.setenv("TIKTOK_MONTHLY_CREDIT_LIMIT", "50_000")
    monkeypatch.setenv("TIKTOK_CREDIT_RESERVE", "500")
    assert budget_settings_from_env().usable == 49_500
    monkeypatch.setenv("TIKTOK_CREDIT_RESERVE", "lots")
    with pytest.raises(ValueError, match="TIKTOK_CREDIT_RESERVE='lots'"):
        budget_settings_from_env()
    monkeypatch.setenv("TIKTOK_CREDIT_RESERVE", "60000")
    with pytest.raises(ValueError, match="larger than TIKTOK_MONTHLY_CREDIT_LIMIT"):
        budget_settings_from_env()
    with pytest.raises(ValueError, match="credit_reserve"):
        BudgetSettings(10, 11)
