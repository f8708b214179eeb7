"""What the warehouse knows of each tracked route: its last fetch, change rate, weight, cost.

One query per API asset over the last `LOOKBACK_DAYS` days of its table. A route's stored
answers, in day order, are compared pairwise on their values (a ranked list on its size and
sums): `polls` pairs, `changes` of them different, `interval` days apart on average, give its
change rate (`policy.change_rate`).

Weights are in one currency across assets, so that a credit is weighed against every other:
a route's weight is the share of the market's revenue whose numbers it refreshes (`Worth`).
The market is what the warehouse sees sell: every product of a tracked list or total, each
once, per period. A product's total (or its series) is worth its product's share; a shop's
total, its shop's share; a shop's list, the share of its products that no tracked product
total rides on (those are worth their own share, which the list earns when it answers them
for free: `policy`); a creator's total and list, the revenue credited to the creator; a
video's metrics, its share of the tracked videos' views times the creators' share. Each
period is an equal part of an asset's weight (a 7-day total is worth knowing as much as a
90-day one, though its revenue is smaller), and `FACTORS` says how much of that revenue's
numbers each asset holds: a product's profile holds its 30-day numbers (a quarter), a shop's
profile and a video's metadata no sales number at all, so the floor alone refreshes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tiktok_assets.catalog import SOURCES, AssetSource
from tiktok_assets.economy.journal import unknown_list_size
from tiktok_assets.jobs import families_of
from tiktok_assets.names import (
    AGGREGATE_PERIODS,
    CREATOR_PRODUCTS,
    CREATOR_TOTAL,
    PRODUCT_DETAIL,
    PRODUCT_HISTORY,
    PRODUCT_TOTAL,
    SHOP_DETAIL,
    SHOP_PRODUCTS,
    SHOP_TOTAL,
    VIDEO_DETAIL,
    VIDEO_METRICS,
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


FACTORS: dict[str, float] = {
    SHOP_DETAIL: 0.0,
    SHOP_TOTAL: 1.0,
    SHOP_PRODUCTS: 1.0,
    PRODUCT_DETAIL: 0.25,
    PRODUCT_TOTAL: 1.0,
    PRODUCT_HISTORY: 1.0,
    CREATOR_TOTAL: 1.0,
    CREATOR_PRODUCTS: 1.0,
    VIDEO_DETAIL: 0.0,
    VIDEO_METRICS: 1.0,
}
"""How much of the revenue it describes each asset's answer holds numbers of (see above)."""

PROFILE_PERIOD = 30
"""The window of a product profile's revenue (the vendor's 30 days)."""


@dataclasses.dataclass
class Worth:
    """What the warehouse knows each entity sells, the currency of the routes' weights."""

    revenue: dict[tuple[str, str, int], float] = dataclasses.field(default_factory=dict)
    """(entity, id, period) → its newest revenue over the period (views for videos)."""
    market: dict[int, float] = dataclasses.field(default_factory=dict)
    """period → the products' revenue the warehouse sees (each product once)."""
    credited: dict[int, float] = dataclasses.field(default_factory=dict)
    """period → the creators' credited revenue, as a share of the market's."""
    views: dict[int, float] = dataclasses.field(default_factory=dict)
    """period → the tracked videos' views."""

    def know(self, entity: str, entity_id: str, period: int, value: float) -> None:
        key = (entity, entity_id, period)
        self.revenue[key] = max(self.revenue.get(key, 0.0), value)

    def share(self, entity: str, entity_id: str, period: int) -> float:
        """The entity's share of the market's revenue over `period` (0 when unknown)."""
        market = self.market.get(period, 0.0)
        if market <= 0.0:
            return 0.0
        return self.revenue.get((entity, entity_id, period), 0.0) / market

    def close(self) -> None:
        """Total the market (products), the creators' credit and the videos' views."""
        totals: dict[tuple[str, int], float] = {}
        for (entity, _, period), value in self.revenue.items():
            totals[(entity, period)] = totals.get((entity, period), 0.0) + value
        self.market = {p: v for (e, p), v in totals.items() if e == "product"}
        self.views = {p: v for (e, p), v in totals.items() if e == "video"}
        self.credited = {
            p: v / self.market[p]
            for (e, p), v in totals.items()
            if e == "creator" and self.market.get(p, 0.0) > 0.0
        }

    def video_share(self, video: str, period: int) -> float:
        """The video's share of the tracked videos' views, times the creators' share."""
        views = self.views.get(period, 0.0)
        if views <= 0.0:
            return 0.0
        mine = self.revenue.get(("video", video, period), 0.0)
        return mine / views * self.credited.get(period, 0.0)


def _worth(stats: Mapping[str, Mapping[Route, _Stats]], on_lists: Mapping[Route, float]) -> Worth:
    """Every entity's newest revenue per period, from the stored answers."""
    worth = Worth()
    for asset, by_route in stats.items():
        column = _value_column(asset)
        if column is None:
            continue
        entity = SOURCES[asset].entity
        for route, value in _newest(by_route, column).items():
            period = route.period or PROFILE_PERIOD
            worth.know(entity, route.entity_id, period, value)
    for route, value in on_lists.items():
        worth.know("product", route.entity_id, route.period, value)
    worth.close()
    return worth


def _weight(route: Route, worth: Worth, periods: int, riders: Mapping[Route, float]) -> float:
    """The route's share of the market revenue whose numbers it refreshes (see above)."""
    asset = route.asset
    entity = SOURCES[asset].entity
    factor = FACTORS[asset]
    if factor == 0.0:
        return 0.0
    if not route.period or asset == PRODUCT_HISTORY:
        return factor * worth.share(entity, route.entity_id, PROFILE_PERIOD)
    if asset == VIDEO_METRICS:
        return factor * worth.video_share(route.entity_id, route.period) / periods
    own = worth.share(entity, route.entity_id, route.period)
    if asset == SHOP_PRODUCTS:
        own = max(0.0, own - riders.get(route, 0.0))
    return factor * own / periods


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
    sizes = _shop_sizes(stats.get(SHOP_DETAIL, {}))
    typical = {asset: _typical_size(stats.get(asset, {})) for asset in LIST_ASSETS}
    listed, on_lists = _newest_lists(engine, list(tracked.get("shop", ())), since)
    if not derive_from_lists:
        listed = {}
    worth = _worth(stats, on_lists)
    riders: dict[Route, float] = {}  # list route → the share its tracked product totals hold
    for pid in tracked.get("product", ()):
        for period in AGGREGATE_PERIODS:
            held_by = listed.get(f"{pid}|{period}")
            if held_by is not None:
                share = worth.share("product", pid, period)
                riders[held_by] = riders.get(held_by, 0.0) + share
    observed: list[Observed] = []
    for entity, ids in tracked.items():
        for family in families_of(entity):
            periods = len(family.periods) or 1
            for asset in family.assets:
                known = stats.get(asset, {})
                for entity_id in ids:
                    if asset == PRODUCT_HISTORY:
                        last = histories.get(entity_id)
                        period = history_period(last, today, first_history_period)
                        routes = [Route(asset, entity_id, period)]
                    else:
                        routes = [Route(asset, entity_id, p) for p in family.periods or (0,)]
                    for route in routes:
                        weight = _weight(route, worth, periods, riders)
                        observed.append(
                            _observed(
                                route,
                                known,
                                histories,
                                weight,
                                page_size,
                                listed,
                                sizes,
                                typical.get(asset),
                            )
                        )
    return observed


def _typical_size(lists: Mapping[Route, _Stats]) -> int | None:
    """What a list of this asset never fetched, whose shop's profile is not known either, is
    priced at (`unknown_list_size` of the newest answers' sizes)."""
    return unknown_list_size([int(s.answers[-1][1][0]) for s in lists.values() if s.answers])


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
    typical: int | None = None,
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
        if known_size is None:
            known_size = typical
        if known_size is not None:
            cost = max(1, math.ceil((known_size + LIST_GROWTH) / page_size))
    free_with = listed.get(route.key) if route.asset == PRODUCT_TOTAL else None
    return Observed(route, stats.last, stats.rate(), weight, cost, free_with)
