"""What the warehouse knows of each tracked route: its last fetch, change rate, weight, cost.

One query per API asset over the last `LOOKBACK_DAYS` days of its table. A route's stored
answers, in day order, are compared pairwise on their values (a ranked list on its size and
sums): `polls` pairs, `changes` of them different, `interval` days apart on average, give its
change rate (`policy.change_rate`). Weights are shares of the newest known revenue — of the
route itself where its table has one (totals, lists), else of its id (the product's on any
list or total, the shop's lists) — and of views for videos; each asset's weights sum to 1,
each of its periods an equal part.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tiktok_assets.catalog import SOURCES, AssetSource
from tiktok_assets.jobs import families_of
from tiktok_assets.names import (
    AGGREGATE_PERIODS,
    CREATOR_PRODUCTS,
    PRODUCT_HISTORY,
    PRODUCT_TOTAL,
    SHOP_DETAIL,
    SHOP_PRODUCTS,
)
from tiktok_assets.refresh.policy import Observed, Route, change_rate
from tiktok_assets.warehouse import tables

if TYPE_CHECKING:
    import pandas as pd

LOOKBACK_DAYS = 28
"""Days of stored answers read to estimate change rates and weights."""

LIST_ASSETS = {SHOP_PRODUCTS: "shop_id", CREATOR_PRODUCTS: "creator_id"}
"""Ranked lists (one row per product and answer) and the column naming their owner."""

LIST_GROWTH = 5
"""Products a list may gain since its last answer: priced in, so that a list crossing a page
boundary does not take the day over its share."""

SETTLE_DAYS = 3
"""The vendor revises the last days of a series for this long: a series fetch overlaps the
last one by as much."""

_NOT_VALUES = {"id", "period", "snapshot_date", "fetched_at", "raw", "source", "source_call_id"}


def _compared(table: sa.Table) -> list[str]:
    """The columns two answers of a route are compared on, in table order."""
    return [c.name for c in table.columns if c.name not in _NOT_VALUES]


@dataclasses.dataclass
class _Stats:
    """A route's stored answers, newest last: (day, values)."""

    answers: list[tuple[dt.date, tuple[object, ...]]] = dataclasses.field(default_factory=list)

    def rate(self) -> float:
        polls = len(self.answers) - 1
        if polls < 1:
            return change_rate(0, 0, 1.0)
        changes = sum(a[1] != b[1] for a, b in zip(self.answers, self.answers[1:], strict=False))
        span = (self.answers[-1][0] - self.answers[0][0]).days
        return change_rate(polls, changes, span / polls)

    @property
    def last(self) -> dt.date | None:
        return self.answers[-1][0] if self.answers else None


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _frame(engine: sa.Engine, query: sa.Select) -> pd.DataFrame:
    import pandas as pd

    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def _answers(engine: sa.Engine, source: AssetSource, since: dt.date) -> dict[Route, _Stats]:
    """Every stored answer of the asset since `since`, per route."""
    table = tables.metadata.tables[source.table]
    stats: dict[Route, _Stats] = {}
    if source.asset in LIST_ASSETS:
        owner = table.c[LIST_ASSETS[source.asset]]
        query = (
            sa.select(
                owner.label("id"),
                table.c.period,
                table.c.snapshot_date,
                sa.func.count().label("size"),
                sa.func.sum(table.c.revenue).label("revenue"),
                sa.func.sum(table.c.sales).label("sales"),
            )
            .where(table.c.snapshot_date >= since)
            .group_by(owner, table.c.period, table.c.snapshot_date)
        )
    else:
        kept = [c for c in table.columns if c.name not in _NOT_VALUES - {"id", "period"}]
        query = sa.select(table.c.snapshot_date, *kept).where(table.c.snapshot_date >= since)
    frame = _frame(engine, query.order_by("snapshot_date"))
    columns = [c for c in frame.columns if c not in _NOT_VALUES]
    periods = frame["period"] if "period" in frame.columns else [0] * len(frame)
    for entity_id, period, day, values in zip(
        frame["id"],
        periods,
        frame["snapshot_date"],
        frame[columns].itertuples(index=False),
        strict=True,
    ):
        route = Route(source.asset, str(entity_id), int(period))
        stats.setdefault(route, _Stats()).answers.append((_as_date(day), tuple(values)))
    return stats


def _history_fetches(engine: sa.Engine) -> dict[str, dt.date]:
    """The day of each product's newest daily-series fetch."""
    t = tables.product_history
    query = sa.select(t.c.id, sa.func.max(t.c.fetched_at).label("at")).group_by(t.c.id)
    with engine.connect() as conn:
        return {str(i): _as_date(at) for i, at in conn.execute(query)}


def _newest(stats: Mapping[Route, _Stats], column: int) -> dict[Route, float]:
    """The newest answer's value in position `column` of each route."""
    return {r: float(s.answers[-1][1][column] or 0.0) for r, s in stats.items() if s.answers}


def _shares(values: Mapping[Route, float]) -> dict[Route, float]:
    total = sum(values.values())
    if total <= 0.0:
        return {r: 1.0 / len(values) for r in values} if values else {}
    return {r: v / total for r, v in values.items()}


def _weights(routes: Mapping[Route, float], *, by_period: bool) -> dict[Route, float]:
    """Shares of an asset's routes summing to 1, each period an equal part (`by_period`): a
    7-day total is worth knowing as much as a 90-day one, though its revenue is smaller."""
    groups: dict[int, dict[Route, float]] = {}
    for route, v in routes.items():
        groups.setdefault(route.period if by_period else 0, {})[route] = v
    return {r: w / len(groups) for g in groups.values() for r, w in _shares(g).items()}


def _newest_lists(
    engine: sa.Engine, owners: Sequence[str], since: dt.date
) -> tuple[dict[str, Route], dict[Route, float]]:
    """What the tracked shops' newest lists hold: `product_id|period` → the list route that
    held it, and each product total's revenue on that list (a weight before its own answer)."""
    t = tables.shop_products
    if not owners:
        return {}, {}
    newest = (
        sa.select(t.c.shop_id, t.c.period, sa.func.max(t.c.snapshot_date).label("day"))
        .where(t.c.snapshot_date >= since, t.c.shop_id.in_(owners))
        .group_by(t.c.shop_id, t.c.period)
        .subquery()
    )
    query = sa.select(t.c.shop_id, t.c.period, t.c.product_id, t.c.revenue).join(
        newest,
        sa.and_(
            t.c.shop_id == newest.c.shop_id,
            t.c.period == newest.c.period,
            t.c.snapshot_date == newest.c.day,
        ),
    )
    lists: dict[str, Route] = {}
    revenue: dict[Route, float] = {}
    with engine.connect() as conn:
        for shop, period, pid, value in conn.execute(query):
            lists[f"{pid}|{period}"] = Route(SHOP_PRODUCTS, str(shop), int(period))
            revenue[Route(PRODUCT_TOTAL, str(pid), int(period))] = float(value or 0.0)
    return lists, revenue


def history_period(last: dt.date | None, today: dt.date, first_period: int) -> int:
    """The daily series' period that keeps it gapless: the shortest covering the days since
    the last fetch plus the vendor's settling days (`first_period` on a first fetch)."""
    if last is None:
        return first_period
    need = (today - last).days + SETTLE_DAYS
    return next((p for p in AGGREGATE_PERIODS if p >= need), AGGREGATE_PERIODS[-1])


def observe(
    engine: sa.Engine,
    tracked: Mapping[str, Sequence[str]],
    *,
    today: dt.date,
    page_size: int,
    first_history_period: int,
    derive_from_lists: bool,
) -> list[Observed]:
    """An `Observed` for every route of every tracked id (one per asset partition; the daily
    series once per product, at the period that keeps it gapless)."""
    since = today - dt.timedelta(days=LOOKBACK_DAYS)
    stats = {a: _answers(engine, s, since) for a, s in SOURCES.items() if a != PRODUCT_HISTORY}
    histories = _history_fetches(engine)
    revenue_of: dict[str, dict[str, float]] = {}  # entity -> id -> newest revenue (or views)
    for asset, by_route in stats.items():
        entity = SOURCES[asset].entity
        column = _value_column(asset)
        if column is None:
            continue
        ids = revenue_of.setdefault(entity, {})
        for route, v in _newest(by_route, column).items():
            owner = route.entity_id
            ids[owner] = max(ids.get(owner, 0.0), v)
    sizes = _shop_sizes(stats.get(SHOP_DETAIL, {}))
    listed, on_lists = _newest_lists(engine, list(tracked.get("shop", ())), since)
    if not derive_from_lists:
        listed = {}
    products = revenue_of.setdefault("product", {})
    for route, v in on_lists.items():
        products[route.entity_id] = max(products.get(route.entity_id, 0.0), v)
    observed: list[Observed] = []
    for entity, ids in tracked.items():
        worth = revenue_of.get(entity, {})
        for family in families_of(entity):
            for asset in family.assets:
                routes: dict[Route, float] = {}
                known = stats.get(asset, {})
                column = _value_column(asset)
                own = _newest(known, column) if column is not None else {}
                if asset == PRODUCT_TOTAL:
                    own = {**on_lists, **own}
                for entity_id in ids:
                    if asset == PRODUCT_HISTORY:
                        last = histories.get(entity_id)
                        period = history_period(last, today, first_history_period)
                        route = Route(asset, entity_id, period)
                        routes[route] = worth.get(entity_id, 0.0)
                        continue
                    for period in family.periods or (0,):
                        route = Route(asset, entity_id, period)
                        routes[route] = own.get(route, worth.get(entity_id, 0.0))
                weights = _weights(routes, by_period=asset != PRODUCT_HISTORY)
                for route in routes:
                    observed.append(
                        _observed(route, known, histories, weights[route], page_size, listed, sizes)
                    )
    return observed


def _shop_sizes(details: Mapping[Route, _Stats]) -> dict[str, int]:
    """Each shop's product count in its newest profile (prices a list never fetched)."""
    table = tables.metadata.tables[SOURCES[SHOP_DETAIL].table]
    column = _compared(table).index("products_count")
    return {
        route.entity_id: int(s.answers[-1][1][column] or 0)
        for route, s in details.items()
        if s.answers
    }


def _value_column(asset: str) -> int | None:
    """Position of the revenue (views) among the asset's compared values."""
    if asset in LIST_ASSETS:
        return 1  # (size, revenue, sales)
    table = tables.metadata.tables[SOURCES[asset].table]
    values = _compared(table)
    for name in ("revenue", "views"):
        if name in values:
            return values.index(name)
    return None


def _observed(
    route: Route,
    known: Mapping[Route, _Stats],
    histories: Mapping[str, dt.date],
    weight: float,
    page_size: int,
    listed: Mapping[str, Route],
    sizes: Mapping[str, int],
) -> Observed:
    if route.asset == PRODUCT_HISTORY:
        last = histories.get(route.entity_id)
        weekly = known.get(Route(PRODUCT_TOTAL, route.entity_id, 7))
        rate = weekly.rate() if weekly is not None else change_rate(0, 0, 1.0)
        return Observed(route, last, rate, weight, 1)
    stats = known.get(route, _Stats())
    cost = 1
    if route.asset in LIST_ASSETS:
        known_size = int(stats.answers[-1][1][0]) if stats.answers else None
        if known_size is None and route.asset == SHOP_PRODUCTS:
            known_size = sizes.get(route.entity_id)
        if known_size is not None:
            cost = max(1, math.ceil((known_size + LIST_GROWTH) / page_size))
    free_with = listed.get(route.key) if route.asset == PRODUCT_TOTAL else None
    return Observed(route, stats.last, stats.rate(), weight, cost, free_with)
