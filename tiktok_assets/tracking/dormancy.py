"""Dormancy: tracked ids that stopped selling are kept, but no longer refreshed or priced.

A product is *dormant* when the newest answer the warehouse holds that covers at least
`days` days (`TIKTOK_DORMANT_DAYS`, 30) says it sold nothing — a total or a list row of a
period of `days` or more, or its profile's 30-day numbers — and no answer of that day or
later shows it selling (a total or a list row of any period, a day of its series), and the
warehouse has known it for `days` days by then (a product launched last week that has not
sold yet is new, not dormant). It
*wakes* as soon as one does: typically a tracked shop's or creator's list of a later day
showing it with sales. A shop is dormant when its own newest such answer (its total, or its
list summed) says it sold nothing and every tracked product of it is dormant; it wakes when
it or one of its products sells again (a creator's list shows it).

Dormant ids keep their partitions and rows; the refresh leaves them out (`refresh.plan`,
`refresh.daily`) and discovery's projection does not price them (`refresh.first_fetch`).
Everything here is read from the warehouse: no request, no credit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

from tiktok_assets.names import AGGREGATE_PERIODS
from tiktok_assets.warehouse import tables

PROFILE_PERIOD = 30
"""The window of a product profile's `revenue` and `sales` (the vendor's 30 days)."""


@dataclasses.dataclass(frozen=True)
class Dormancy:
    """The dormant ids of the tracked set, and the day each one's silence was last seen."""

    products: Mapping[str, dt.date]
    shops: Mapping[str, dt.date]

    def of(self, entity: str) -> Mapping[str, dt.date]:
        return {"product": self.products, "shop": self.shops}.get(entity, {})

    def counts(self) -> dict[str, int]:
        """entity → dormant ids (only the entities that have some)."""
        return {e: len(v) for e, v in (("shop", self.shops), ("product", self.products)) if v}

    def describe(self) -> str:
        parts = [f"{n:,} {e}(s)" for e, n in self.counts().items()]
        return f"dormant: {', '.join(parts)}" if parts else "no dormant id"

    def active(self, tracked: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """The tracked ids, in their order, without the dormant ones."""
        return {e: [i for i in ids if i not in self.of(e)] for e, ids in tracked.items()}


NONE = Dormancy({}, {})


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _newest(
    conn: sa.Connection, key: sa.ColumnElement, day: sa.ColumnElement, where: sa.ColumnElement
) -> dict[str, dt.date]:
    """id → the newest day of the rows matching `where`."""
    query = sa.select(key, sa.func.max(day)).where(where).group_by(key)
    return {str(i): _as_date(d) for i, d in conn.execute(query) if i is not None and d}


def _merge(into: dict[str, dt.date], found: Mapping[str, dt.date]) -> None:
    for key, day in found.items():
        if key not in into or day > into[key]:
            into[key] = day


def _product_days(conn: sa.Connection, days: int) -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    """(product → newest day an answer covering `days` days showed no sale, product → newest
    day any answer showed a sale)."""
    long_periods = [p for p in AGGREGATE_PERIODS if p >= days]
    quiet: dict[str, dt.date] = {}
    selling: dict[str, dt.date] = {}
    total = tables.product_total
    _merge(
        quiet,
        _newest(
            conn,
            total.c.id,
            total.c.snapshot_date,
            sa.and_(total.c.period.in_(long_periods), total.c.sales == 0),
        ),
    )
    _merge(selling, _newest(conn, total.c.id, total.c.snapshot_date, total.c.sales > 0))
    for lists in (tables.shop_products, tables.creator_products):
        _merge(
            quiet,
            _newest(
                conn,
                lists.c.product_id,
                lists.c.snapshot_date,
                sa.and_(lists.c.period.in_(long_periods), lists.c.sales == 0),
            ),
        )
        _merge(selling, _newest(conn, lists.c.product_id, lists.c.snapshot_date, lists.c.sales > 0))
    profile = tables.product_detail
    if days <= PROFILE_PERIOD:
        _merge(quiet, _newest(conn, profile.c.id, profile.c.snapshot_date, profile.c.sales == 0))
    _merge(selling, _newest(conn, profile.c.id, profile.c.snapshot_date, profile.c.sales > 0))
    series = tables.product_history
    # A day of the series with a sale is known from the day after it.
    sold = _newest(conn, series.c.id, series.c.date, series.c.sales > 0)
    _merge(selling, {i: d + dt.timedelta(days=1) for i, d in sold.items()})
    return quiet, selling


def _shop_days(conn: sa.Connection, days: int) -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    """(shop → newest day its total or list, over `days` days or more, showed no sale,
    shop → newest day its total or list showed a sale)."""
    long_periods = [p for p in AGGREGATE_PERIODS if p >= days]
    total = tables.shop_total
    quiet = _newest(
        conn,
        total.c.id,
        total.c.snapshot_date,
        sa.and_(total.c.period.in_(long_periods), total.c.sales == 0),
    )
    selling = _newest(conn, total.c.id, total.c.snapshot_date, total.c.sales > 0)
    lists = tables.shop_products
    per_list = (
        sa.select(
            lists.c.shop_id.label("id"),
            lists.c.period,
            lists.c.snapshot_date.label("day"),
            sa.func.coalesce(sa.func.sum(lists.c.sales), 0).label("sales"),
        )
        .group_by(lists.c.shop_id, lists.c.period, lists.c.snapshot_date)
        .subquery()
    )
    _merge(
        quiet,
        _newest(
            conn,
            per_list.c.id,
            per_list.c.day,
            sa.and_(per_list.c.period.in_(long_periods), per_list.c.sales == 0),
        ),
    )
    _merge(selling, _newest(conn, per_list.c.id, per_list.c.day, per_list.c.sales > 0))
    return quiet, selling


def _silent(
    quiet: Mapping[str, dt.date],
    selling: Mapping[str, dt.date],
    known: Mapping[str, dt.date],
    days: int,
) -> dict[str, dt.date]:
    """The ids whose newest silence is newer than their newest sale, and that the warehouse
    knew `days` days before that silence."""
    span = dt.timedelta(days=days)
    return {
        i: d
        for i, d in quiet.items()
        if (i not in selling or selling[i] < d) and i in known and known[i] <= d - span
    }


def _oldest(
    conn: sa.Connection, key: sa.ColumnElement, day: sa.ColumnElement, ids: Sequence[str]
) -> dict[str, dt.date]:
    """id → the oldest day of its rows, for `ids`."""
    out: dict[str, dt.date] = {}
    for start in range(0, len(ids), 500):
        query = (
            sa.select(key, sa.func.min(day)).where(key.in_(ids[start : start + 500])).group_by(key)
        )
        out |= {str(i): _as_date(d) for i, d in conn.execute(query) if i is not None and d}
    return out


def _first_known(conn: sa.Connection, entity: str, ids: Iterable[str]) -> dict[str, dt.date]:
    """id → the first day the warehouse holds an answer about it, for `ids`."""
    wanted = sorted(set(ids))
    known: dict[str, dt.date] = {}
    if entity == "product":
        sources = [
            (tables.product_total.c.id, tables.product_total.c.snapshot_date),
            (tables.product_detail.c.id, tables.product_detail.c.snapshot_date),
            (tables.shop_products.c.product_id, tables.shop_products.c.snapshot_date),
            (tables.creator_products.c.product_id, tables.creator_products.c.snapshot_date),
        ]
    else:
        sources = [
            (tables.shop_total.c.id, tables.shop_total.c.snapshot_date),
            (tables.shop_products.c.shop_id, tables.shop_products.c.snapshot_date),
        ]
    for key, day in sources:
        for i, d in _oldest(conn, key, day, wanted).items():
            if i not in known or d < known[i]:
                known[i] = d
    return known


def _shops_of(conn: sa.Connection, products: Iterable[str]) -> dict[str, str]:
    """product → the shop its newest profile names."""
    profile = tables.product_detail
    wanted = sorted(set(products))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        query = (
            sa.select(profile.c.id, profile.c.shop_id, profile.c.snapshot_date)
            .where(profile.c.id.in_(wanted[start : start + 500]))
            .order_by(profile.c.snapshot_date)
        )
        for pid, shop, _ in conn.execute(query):
            if shop is not None:
                out[str(pid)] = str(shop)
    return out


def dormancy(engine: sa.Engine, tracked: Mapping[str, Sequence[str]], *, days: int) -> Dormancy:
    """Which tracked products and shops are dormant (see the module docstring)."""
    products = set(tracked.get("product", ()))
    shops = set(tracked.get("shop", ()))
    if not products and not shops:
        return NONE
    with engine.connect() as conn:
        quiet, selling = _product_days(conn, days)
        quiet = {p: d for p, d in quiet.items() if p in products}
        known = _first_known(conn, "product", quiet)
        silent_products = _silent(quiet, selling, known, days)
        silent_shops: dict[str, dt.date] = {}
        if shops:
            shop_quiet, shop_selling = _shop_days(conn, days)
            shop_quiet = {s: d for s, d in shop_quiet.items() if s in shops}
            known = _first_known(conn, "shop", shop_quiet)
            candidates = _silent(shop_quiet, shop_selling, known, days)
            if candidates:
                since = min(candidates.values())
                recent = {p for p, d in selling.items() if d > since}
                shop_of = _shops_of(conn, (products - set(silent_products)) | recent)
                # A shop sleeps only if no tracked product of it is awake and no product of it
                # sold after the shop's own silence (a creator's list shows it, say).
                awake = {shop_of.get(p) for p in products if p not in silent_products}
                awake |= {
                    shop_of[p]
                    for p in recent
                    if p in shop_of and selling[p] > candidates.get(shop_of[p], dt.date.max)
                }
                silent_shops = {s: d for s, d in candidates.items() if s not in awake}
    return Dormancy(silent_products, silent_shops)
