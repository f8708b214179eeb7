"""`SqlRequestJournal`: every API request in `api_calls`, and fresh answers served again free.

One row per HTTP attempt (paid or not) and one per answer served from the journal
(`cache_hit`, 0 credits, no body). A successful answer is *fresh* on the UTC day it was
fetched (`call_date` is `clock.today()`): the vendor's aggregates are rolling windows, so a
re-run the same day gets the same snapshot without paying again. With `max_age`, freshness
is an age instead. The API key is never passed to the journal, so it is never stored. Rows
the database cannot take wait in a `JournalSpool` (see spool.py).

The query helpers below are what the budget, the cost planner and the spend asset read.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tiktok_assets import clock
from tiktok_assets.api.endpoints import ApiRequest
from tiktok_assets.api.hooks import CallRecord
from tiktok_assets.economy.errors import RequestJournalError
from tiktok_assets.economy.spool import JournalSpool
from tiktok_assets.warehouse.tables import api_calls

if TYPE_CHECKING:
    import pandas as pd

_c = api_calls.c
log = logging.getLogger(__name__)
_MAX_ERROR_CHARS = 2000

CallListener = Callable[[CallRecord], None]
"""Told of every recorded HTTP attempt, after its row is committed (the budget listens)."""

SPEND_COLUMNS = ("date", "requests", "credits", "cache_hits", "errors")


@dataclasses.dataclass(frozen=True)
class Freshness:
    """What counts as fresh: the same `call_date` as today, or newer than `now - max_age`."""

    today: dt.date
    cutoff: dt.datetime | None = None

    @classmethod
    def at(
        cls,
        max_age: dt.timedelta | None = None,
        *,
        now: dt.datetime | None = None,
        today: dt.date | None = None,
    ) -> Freshness:
        if max_age is None:
            return cls(today=today or clock.today())
        return cls(today=today or clock.today(), cutoff=(now or clock.now()) - max_age)

    def condition(self) -> sa.ColumnElement[bool]:
        if self.cutoff is None:
            return _c.call_date == self.today
        return _c.called_at >= self.cutoff


def succeeded() -> sa.ColumnElement[bool]:
    """A paid (or imported) answer with its body: what may be served again."""
    return sa.and_(
        _c.status >= 200,
        _c.status < 300,
        _c.body.is_not(None),
        _c.error.is_(None),
        sa.not_(_c.cache_hit),
    )


def _month_bounds(month_of: dt.date) -> tuple[dt.date, dt.date]:
    first = month_of.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


@dataclasses.dataclass(frozen=True)
class Answer:
    """The journal row of a successful answer: where a stored number came from."""

    call_id: int
    called_at: dt.datetime
    call_date: dt.date


_answers: contextvars.ContextVar[list[Answer] | None] = contextvars.ContextVar(
    "tiktok_answers", default=None
)


@contextlib.contextmanager
def collect_answers() -> Iterator[list[Answer]]:
    """The answers (served or paid) of the requests made in this scope, in order.

    Worker threads started from the scope (`asyncio.to_thread`) append to the same list.
    """
    collected: list[Answer] = []
    token = _answers.set(collected)
    try:
        yield collected
    finally:
        _answers.reset(token)


def _note(answer: Answer) -> None:
    collected = _answers.get()
    if collected is not None:
        collected.append(answer)


def _fresh_body_query(request: ApiRequest, freshness: Freshness) -> sa.Select:
    return (
        sa.select(_c.body, _c.call_id, _c.called_at, _c.call_date)
        .where(
            _c.route == request.route,
            _c.params == request.params_key,
            succeeded(),
            freshness.condition(),
        )
        .order_by(_c.called_at.desc(), _c.call_id.desc())
        .limit(1)
    )


class SqlRequestJournal:
    """The `RequestJournal` of the client, stored in the warehouse's `api_calls` table."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        run_id: str | None,
        max_age: dt.timedelta | None = None,
        listeners: Iterable[CallListener] = (),
        now: Callable[[], dt.datetime] = clock.now,
        spool: JournalSpool | None = None,
    ) -> None:
        self.engine = engine
        self.spool = spool
        self.run_id = run_id
        self.max_age = max_age
        self._now = now
        self._listeners = tuple(listeners)

    def __repr__(self) -> str:
        return f"SqlRequestJournal(run_id={self.run_id!r}, max_age={self.max_age!r})"

    def lookup(self, request: ApiRequest) -> Any | None:
        """The body of the newest fresh successful identical request (recorded as a hit)."""
        started = time.monotonic()
        now = self._now()
        freshness = Freshness.at(self.max_age, now=now)
        try:
            return self._serve(request, freshness, now, started)
        except sa.exc.SQLAlchemyError as exc:
            doing = f"looking up {request.route}"
            raise RequestJournalError(self.engine, exc, doing=doing) from exc

    def _serve(
        self, request: ApiRequest, freshness: Freshness, now: dt.datetime, started: float
    ) -> Any | None:
        """The fresh body for `request`, its hit recorded in the same transaction."""
        with self.engine.begin() as conn:
            found = conn.execute(_fresh_body_query(request, freshness)).first()
            if found is None:
                return None
            body, call_id, called_at, call_date = found
            conn.execute(
                sa.insert(api_calls).values(
                    route=request.route,
                    params=request.params_key,
                    entity_id=request.id,
                    status=200,
                    duration_ms=(time.monotonic() - started) * 1000.0,
                    credits=0,
                    cache_hit=True,
                    attempt=0,
                    run_id=self.run_id,
                    error=None,
                    body=sa.null(),
                    called_at=now,
                    call_date=freshness.today,
                )
            )
        _note(Answer(call_id, _utc(called_at), call_date))
        return body

    def record(self, call: CallRecord) -> None:
        """Insert one row for one HTTP attempt, in its own transaction, then tell listeners.

        If the database fails, the row goes to the spool (when there is one) before the error
        is raised: the answer was paid for, and the next run journals it from there.
        """
        request = call.request
        row = {
            "route": request.route,
            "params": request.params_key,
            "entity_id": request.id,
            "status": call.status,
            "duration_ms": call.duration_s * 1000.0,
            "credits": call.credits,
            "cache_hit": False,
            "attempt": call.attempt,
            "run_id": self.run_id,
            "error": None if call.error is None else call.error[:_MAX_ERROR_CHARS],
            "body": call.body if call.body is not None and call.error is None else sa.null(),
            "called_at": self._now(),
            "call_date": clock.today(),
        }
        try:
            with self.engine.begin() as conn:
                inserted = conn.execute(sa.insert(api_calls).values(**row))
        except sa.exc.SQLAlchemyError as exc:
            if self.spool is not None:
                try:
                    self.spool.keep(row)
                except OSError as spool_exc:  # the database's error is the one to report
                    log.error("could not keep the answer in %s: %s", self.spool.path, spool_exc)
            doing = f"recording a request to {request.route}"
            raise RequestJournalError(self.engine, exc, doing=doing) from exc
        if call.error is None and call.body is not None:
            _note(Answer(inserted.inserted_primary_key[0], row["called_at"], row["call_date"]))
        for listener in self._listeners:
            listener(call)


def _utc(moment: dt.datetime) -> dt.datetime:
    """A timestamp read back from the database, as an aware UTC datetime (SQLite drops zones)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


# -- queries -------------------------------------------------------------------------------


def credits_spent(engine: sa.Engine, month_of: dt.date) -> int:
    """Credits recorded in the calendar month of `month_of` (by `call_date`)."""
    first, following = _month_bounds(month_of)
    query = sa.select(sa.func.coalesce(sa.func.sum(_c.credits), 0)).where(
        _c.call_date >= first, _c.call_date < following
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@dataclasses.dataclass(frozen=True)
class RunUsage:
    """What one Dagster run spent, from its journal rows: HTTP requests, credits, journal hits."""

    requests: int
    credits: int
    cache_hits: int


def run_usage(engine: sa.Engine, run_id: str) -> RunUsage:
    """The journal's account of run `run_id` (a partition's materialization carries none)."""
    query = sa.select(
        sa.func.sum(sa.case((sa.not_(_c.cache_hit), 1), else_=0)),
        sa.func.coalesce(sa.func.sum(_c.credits), 0),
        sa.func.sum(sa.case((_c.cache_hit, 1), else_=0)),
    ).where(_c.run_id == run_id)
    with engine.connect() as conn:
        requests, credits, hits = conn.execute(query).one()
    return RunUsage(int(requests or 0), int(credits or 0), int(hits or 0))


def spend_by_day(engine: sa.Engine, since: dt.date) -> pd.DataFrame:
    """One row per day since `since`: HTTP requests, credits, cache hits and failed requests."""
    http = sa.not_(_c.cache_hit)
    failed = sa.and_(
        http,
        sa.or_(_c.error.is_not(None), _c.status.is_(None), _c.status < 200, _c.status >= 300),
    )
    query = (
        sa.select(
            _c.call_date,
            sa.func.sum(sa.case((http, 1), else_=0)),
            sa.func.sum(_c.credits),
            sa.func.sum(sa.case((_c.cache_hit, 1), else_=0)),
            sa.func.sum(sa.case((failed, 1), else_=0)),
        )
        .where(_c.call_date >= since)
        .group_by(_c.call_date)
        .order_by(_c.call_date)
    )
    with engine.connect() as conn:
        rows = [(day, *(int(v or 0) for v in counts)) for day, *counts in conn.execute(query).all()]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(SPEND_COLUMNS))
    return frame.astype({name: "int64" for name in SPEND_COLUMNS[1:]})


def is_fresh(
    engine: sa.Engine,
    request: ApiRequest,
    *,
    max_age: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Whether `SqlRequestJournal.lookup` would serve `request` now (nothing is recorded)."""
    query = _fresh_body_query(request, Freshness.at(max_age, now=now)).with_only_columns(_c.call_id)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def fresh_keys(
    engine: sa.Engine,
    *,
    routes: Iterable[str] | None = None,
    max_age: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> set[tuple[str, str]]:
    """Every (route, params_key) the journal would serve now: `is_fresh` for many at once."""
    query = (
        sa.select(_c.route, _c.params)
        .where(succeeded(), Freshness.at(max_age, now=now).condition())
        .distinct()
    )
    if routes is not None:
        query = query.where(_c.route.in_(sorted(set(routes))))
    with engine.connect() as conn:
        return {(route, params) for route, params in conn.execute(query)}


TotalKey = tuple[str, str | None, int | None]
"""(route, entity id, period) of a list route."""


def known_totals(
    engine: sa.Engine, routes: Iterable[str], *, entity_id: str | None = None
) -> dict[TotalKey, int]:
    """The `total` of the newest successful page of each (route, id, period) of list routes."""
    query = (
        sa.select(_c.route, _c.entity_id, _c.params, _c.body["total"].as_integer())
        .where(_c.route.in_(sorted(set(routes))), succeeded())
        .order_by(_c.called_at, _c.call_id)
    )
    if entity_id is not None:
        query = query.where(_c.entity_id == entity_id)
    totals: dict[TotalKey, int] = {}
    with engine.connect() as conn:
        for route, entity, params, total in conn.execute(query):
            if total is None:
                continue
            period = json.loads(params).get("period")
            totals[(route, entity, period if isinstance(period, int) else None)] = int(total)
    return totals


UNKNOWN_LIST_QUANTILE = 0.9
"""A list never answered is priced at the size this share of the known lists do not exceed:
a day that pays for new lists then spends no more than it planned (rather than a little less)."""


def unknown_list_size(sizes: Sequence[int]) -> int | None:
    """What a list never answered is expected to hold, from the sizes of the known lists of
    its route (None when none is known)."""
    if not sizes:
        return None
    ordered = sorted(sizes)
    return ordered[min(len(ordered) - 1, int(UNKNOWN_LIST_QUANTILE * len(ordered)))]


def typical_totals(totals: Mapping[TotalKey, int]) -> dict[str, int]:
    """Per list route, the `total` a list never answered is priced at (`unknown_list_size`):
    a shop tracked today is priced like the shops already tracked."""
    by_route: dict[str, list[int]] = {}
    for (route, _, _), total in totals.items():
        by_route.setdefault(route, []).append(total)
    return {route: unknown_list_size(values) or 0 for route, values in by_route.items()}


def last_known_total(
    engine: sa.Engine, route: str, entity_id: str, period: int | None
) -> int | None:
    """The `total` in the newest successful answer of a list route for that id and period."""
    return known_totals(engine, [route], entity_id=entity_id).get((route, entity_id, period))
