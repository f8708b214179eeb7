"""Verify before trusting: a source answers an asset on a day only after a sample agreed.

Each day, for each (source, asset), the first `sample` partitions the source would answer
are also paid for (through the journal, the limiter and the budget like any request) and
compared with what the source says: sales equal, revenue within 0.5 % or 0.01. Each
comparison is a row of `source_reconciliation`. Once `sample` comparisons agreed and none
disagreed, the source is trusted for that asset that day; one disagreement distrusts it for
the rest of the day, and every partition it would have answered is paid. `sample=0`
(`TIKTOK_RECONCILE_SAMPLE=0`) trusts every source without checking.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from tiktok_assets.economy.sources import Day, Derivation
from tiktok_assets.warehouse.resource import upsert_statement
from tiktok_assets.warehouse.tables import source_reconciliation

_r = source_reconciliation.c
REVENUE_RELATIVE = 0.005
REVENUE_ABSOLUTE = 0.01


class Trust(enum.Enum):
    """A source's standing for an asset on a day."""

    TRUSTED = "trusted"
    DISTRUSTED = "distrusted"
    UNVERIFIED = "unverified"


@dataclasses.dataclass(frozen=True)
class Standing:
    """What the day's comparisons say of one (source, asset)."""

    trust: Trust
    agreed: int
    needed: int
    """Comparisons still to make before the source is trusted (0 once decided)."""


def revenue_agrees(derived: float, fetched: float) -> bool:
    """Within 0.5 % of the API's figure, or within 0.01 (cents)."""
    return abs(derived - fetched) <= max(REVENUE_ABSOLUTE, REVENUE_RELATIVE * abs(fetched))


def standing(engine: sa.Engine, day: dt.date, source: str, asset: str, sample: int) -> Standing:
    """The source's standing for `asset` on `day`, from the comparisons recorded so far."""
    if sample <= 0:
        return Standing(Trust.TRUSTED, 0, 0)
    query = (
        sa.select(_r.agreed, sa.func.count())
        .where(_r.date == day, _r.source == source, _r.asset == asset)
        .group_by(_r.agreed)
    )
    with engine.connect() as conn:
        counts = {bool(agreed): int(n) for agreed, n in conn.execute(query)}
    agreed, disagreed = counts.get(True, 0), counts.get(False, 0)
    if disagreed:
        return Standing(Trust.DISTRUSTED, agreed, 0)
    if agreed >= sample:
        return Standing(Trust.TRUSTED, agreed, 0)
    return Standing(Trust.UNVERIFIED, agreed, sample - agreed)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A derived partition beside the API's answer for it."""

    derived: Derivation
    fetched_revenue: float | None
    fetched_sales: int | None
    fetched_call_id: int | None
    agreed: bool
    detail: str

    @property
    def difference(self) -> str:
        d = self.derived
        return (
            f"{d.entity_id}|{d.period}: {d.source} says revenue {d.revenue:g}, sales {d.sales}; "
            f"the API says revenue {self.fetched_revenue}, sales {self.fetched_sales}"
            + (f" ({self.detail})" if self.detail else "")
        )


def compare_total(
    derived: Derivation, revenue: float | None, sales: int | None, call_id: int | None
) -> Comparison:
    """A derived total against the API's `product-detail/total` answer."""
    agreed = (
        revenue is not None
        and sales is not None
        and sales == derived.sales
        and revenue_agrees(derived.revenue, revenue)
    )
    return Comparison(derived, revenue, sales, call_id, agreed, "")


def compare_history(
    derived: Derivation, days: Sequence[Day | None], call_id: int | None
) -> Comparison:
    """A derived series against the API's `product-detail/history` answer, day by day."""
    fetched = {d.date: d for d in days if d is not None}
    wrong = [
        mine.date.isoformat()
        for mine in derived.days
        if (theirs := fetched.get(mine.date)) is None
        or theirs.sales != mine.sales
        or not revenue_agrees(mine.revenue, theirs.revenue)
    ]
    revenue = float(sum(d.revenue for d in fetched.values()))
    sales = sum(d.sales for d in fetched.values())
    detail = f"days differing: {', '.join(wrong[:5])}" if wrong else ""
    return Comparison(derived, revenue, sales, call_id, not wrong, detail)


def record(
    engine: sa.Engine,
    comparisons: Iterable[Comparison],
    *,
    day: dt.date,
    asset: str,
    checked_at: dt.datetime,
) -> None:
    """Store the comparisons of one day (a repeated comparison replaces the earlier one)."""
    rows = [
        {
            "date": day,
            "source": c.derived.source,
            "asset": asset,
            "id": c.derived.entity_id,
            "period": c.derived.period,
            "derived_revenue": c.derived.revenue,
            "derived_sales": c.derived.sales,
            "fetched_revenue": c.fetched_revenue,
            "fetched_sales": c.fetched_sales,
            "agreed": c.agreed,
            "detail": c.detail or None,
            "derived_call_id": c.derived.answer.call_id,
            "fetched_call_id": c.fetched_call_id,
            "checked_at": checked_at,
        }
        for c in comparisons
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(upsert_statement(engine, source_reconciliation, rows))


def disagreements_of(engine: sa.Engine, day: dt.date, asset: str) -> list[str]:
    """Every disagreement recorded for `asset` on `day`, as text naming the id and values."""
    query = (
        sa.select(
            _r.source,
            _r.id,
            _r.period,
            _r.derived_revenue,
            _r.derived_sales,
            _r.fetched_revenue,
            _r.fetched_sales,
            _r.detail,
        )
        .where(_r.date == day, _r.asset == asset, sa.not_(_r.agreed))
        .order_by(_r.source, _r.id, _r.period)
    )
    with engine.connect() as conn:
        return [
            f"{entity_id}|{period}: {source} says revenue {d_rev:g}, sales {d_sales}; the API "
            f"says revenue {f_rev}, sales {f_sales}" + (f" ({detail})" if detail else "")
            for source, entity_id, period, d_rev, d_sales, f_rev, f_sales, detail in conn.execute(
                query
            )
        ]
