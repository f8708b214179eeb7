"""Candidates: the shops the fetched data names, with the evidence for each.

The API has no search route, but every product profile names its shop (`product_detail.
shop_id`), and a creator's list names products of any shop (a list row may also carry a
`shop_id` in its `raw` JSON, should the vendor send one). So every shop named that way is a
candidate, with the evidence already paid for (Cho, Garcia-Molina & Page 1998: order the
frontier by what links to it):

- `products_seen`, `products_revenue`: its products whose profile the warehouse holds, and
  their 30-day revenue (each product's newest profile);
- `creators_selling`, `creator_revenue`: the tracked creators whose newest 30-day list sells
  one of its products, and the revenue those lists credit them with;
- `score`: its expected 30-day revenue, the larger of the two revenues (what is known of it
  is a lower bound of its whole catalogue's).

`record` writes the decisions (`discovery_candidates`); which candidates are admitted, and
when, is decided by the shop discovery tick (`tiktok_assets.refresh.first_fetch`), within the
day's credits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from tiktok_assets.warehouse import tables
from tiktok_assets.warehouse.resource import upsert_statement

EVIDENCE_PERIOD = 30
"""The period of the lists and profiles whose revenue is evidence (the profile's own)."""


class Status(enum.StrEnum):
    """What discovery made of a candidate."""

    ADMITTED = "admitted"
    """Tracked: added by discovery (or tracked already: a seed)."""
    WAITING = "waiting"
    """Not tracked yet: the day's credits, its value or the settings hold it back."""
    REJECTED = "rejected"
    """Never admitted: not an id, or untracked by a user after it was admitted."""


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A shop the data names, with the evidence for it."""

    id: str
    first_seen: dt.date
    last_seen: dt.date
    products_seen: int = 0
    products_revenue: float = 0.0
    creators_selling: int = 0
    creator_revenue: float = 0.0

    @property
    def score(self) -> float:
        """Its expected 30-day revenue (a lower bound: what its known products sell)."""
        return max(self.products_revenue, self.creator_revenue)

    @property
    def rank_key(self) -> tuple[float, int, int, str]:
        return (-self.score, -self.creators_selling, -self.products_seen, self.id)


@dataclasses.dataclass(frozen=True)
class Decision:
    """The discovery tick's verdict on one candidate."""

    candidate: Candidate
    status: Status
    reason: str
    credits: int = 0
    """What its first fetch is estimated to cost."""


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _newest_rows(table: sa.Table, key: str, *extra: str) -> sa.Select:
    """The newest snapshot of each `key` (and `extra` columns) of `table`."""
    keys = [table.c[key], *(table.c[c] for c in extra)]
    newest = (
        sa.select(*keys, sa.func.max(table.c.snapshot_date).label("day")).group_by(*keys).subquery()
    )
    on = sa.and_(
        *(table.c[c] == newest.c[c] for c in (key, *extra)), table.c.snapshot_date == newest.c.day
    )
    return sa.select(table).join(newest, on)


def _raw_shop(raw: Any) -> str | None:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    value = raw.get("shop_id") if isinstance(raw, dict) else None
    return str(value) if value is not None else None


@dataclasses.dataclass(frozen=True)
class _Profile:
    """A product's newest profile: its shop and its 30-day revenue."""

    shop: str
    revenue: float


@dataclasses.dataclass(frozen=True)
class _Credit:
    """A row of a tracked creator's newest 30-day list: who sells which product, for what."""

    creator: str
    product: str
    revenue: float
    shop: str | None
    """The shop its `raw` names, if the vendor sends one."""
    day: dt.date


def _profiles(
    conn: sa.Connection,
) -> tuple[dict[str, _Profile], dict[str, tuple[dt.date, dt.date]]]:
    """(product → its newest profile, shop → the first and last day a profile named it)."""
    t = tables.product_detail
    span = sa.select(
        t.c.shop_id, sa.func.min(t.c.snapshot_date), sa.func.max(t.c.snapshot_date)
    ).group_by(t.c.shop_id)
    seen = {
        str(shop): (_as_date(first), _as_date(last))
        for shop, first, last in conn.execute(span)
        if shop is not None
    }
    newest = _newest_rows(t, "id").subquery()
    query = sa.select(newest.c.id, newest.c.shop_id, newest.c.revenue)
    profiles = {
        str(pid): _Profile(str(shop), float(value or 0.0))
        for pid, shop, value in conn.execute(query)
        if shop is not None
    }
    return profiles, seen


def _credits(conn: sa.Connection, creators: Collection[str]) -> list[_Credit]:
    """The rows of the tracked `creators`' newest 30-day lists."""
    t = tables.creator_products
    rows = _newest_rows(t, "creator_id", "period").where(t.c.period == EVIDENCE_PERIOD)
    return [
        _Credit(
            str(r.creator_id),
            str(r.product_id),
            float(r.revenue or 0.0),
            _raw_shop(r.raw),
            _as_date(r.snapshot_date),
        )
        for r in conn.execute(rows)
        if str(r.creator_id) in creators
    ]


@dataclasses.dataclass
class _Evidence:
    """What is known of one shop, gathered row by row."""

    first: dt.date
    last: dt.date
    products: set[str] = dataclasses.field(default_factory=set)
    creators: set[str] = dataclasses.field(default_factory=set)
    credit: float = 0.0

    def seen(self, first: dt.date, last: dt.date) -> _Evidence:
        self.first, self.last = min(self.first, first), max(self.last, last)
        return self


def shop_candidates(engine: sa.Engine, creators: Iterable[str]) -> list[Candidate]:
    """Every shop the profiles (and the tracked `creators`' lists) name, with its evidence,
    best first. Malformed shop ids are kept: the tick rejects them, by name."""
    with engine.connect() as conn:
        profiles, seen = _profiles(conn)
        credits = _credits(conn, set(creators))
    evidence: dict[str, _Evidence] = {}
    for pid, profile in profiles.items():
        first, last = seen[profile.shop]
        evidence.setdefault(profile.shop, _Evidence(first, last)).products.add(pid)
    for credit in credits:
        shop = profiles[credit.product].shop if credit.product in profiles else credit.shop
        if shop is None:
            continue
        e = evidence.setdefault(shop, _Evidence(credit.day, credit.day)).seen(
            credit.day, credit.day
        )
        e.creators.add(credit.creator)
        e.credit += credit.revenue
    found = [
        Candidate(
            id=shop,
            first_seen=e.first,
            last_seen=e.last,
            products_seen=len(e.products),
            products_revenue=sum(profiles[p].revenue for p in e.products),
            creators_selling=len(e.creators),
            creator_revenue=e.credit,
        )
        for shop, e in evidence.items()
    ]
    return sorted(found, key=lambda c: c.rank_key)


def previous(engine: sa.Engine, entity: str) -> dict[str, tuple[str, dt.date | None]]:
    """id → (status, admitted_on) of the recorded candidates of `entity`."""
    t = tables.discovery_candidates
    query = sa.select(t.c.id, t.c.status, t.c.admitted_on).where(t.c.entity == entity)
    with engine.connect() as conn:
        return {str(i): (str(s), d) for i, s, d in conn.execute(query)}


def record(engine: sa.Engine, entity: str, decisions: Sequence[Decision], today: dt.date) -> None:
    """Upsert the decisions of a tick (a candidate keeps the day it was first admitted)."""
    if not decisions:
        return
    t = tables.discovery_candidates
    before = previous(engine, entity)
    rows = []
    for d in decisions:
        c = d.candidate
        admitted_on = before.get(c.id, ("", None))[1]
        if d.status is Status.ADMITTED and admitted_on is None:
            admitted_on = today
        rows.append(
            {
                "entity": entity,
                "id": c.id[:20],
                "first_seen": c.first_seen,
                "last_seen": c.last_seen,
                "products_seen": c.products_seen,
                "products_revenue": c.products_revenue,
                "creators_selling": c.creators_selling,
                "creator_revenue": c.creator_revenue,
                "score": c.score,
                "credits": d.credits,
                "status": d.status.value,
                "reason": d.reason,
                "decided_on": today,
                "admitted_on": admitted_on,
            }
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), 500):
            conn.execute(upsert_statement(engine, t, rows[start : start + 500]))


def counts(decisions: Sequence[Decision]) -> Mapping[Status, int]:
    out: dict[Status, int] = {}
    for d in decisions:
        out[d.status] = out.get(d.status, 0) + 1
    return out
