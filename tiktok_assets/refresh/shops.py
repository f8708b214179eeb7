"""Shop discovery: the candidate shops the data names, admitted in rank order within the
day's credits (what `shop_discovery_sensor`'s tick decides).

Each tick ranks the candidates (`tracking.candidates`: the shops the products' profiles and
the tracked creators' lists name, by their expected 30-day revenue) and walks them best
first. A candidate is admitted — added to `shop_ids`, its first fetch requested like any
seeded id's — while:

- it is worth its credits: the value of its first fetch (its expected share of the market's
  revenue, for its lists and its totals, in the refresh policy's currency: `policy.value`)
  per credit is at least what the day's refresh plan paid for its last route, if there is a
  plan of the day — the plan itself weighs the waiting candidates against its routes
  (`candidate_routes`) and keeps the credits of those worth more;
- the day's share of the month's credits (pacing) has what its first fetch costs left: its
  profile, its four totals, and its four lists' pages (as many as the tracked shops' lists
  have, at the median);
- the tick's cap (`TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK`) is not reached.

The first candidate that cannot be paid stops the walk: the rest wait, in rank order, for the
next day's share. Every candidate's evidence and the decision (`admitted`, `waiting`,
`rejected`, with the reason) land in `discovery_candidates`; `TIKTOK_DISCOVER_SHOPS=0` keeps
recording them and admits none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import statistics
from collections.abc import Collection, Sequence

import sqlalchemy as sa
from dagster import AssetKey, DagsterInstance, SensorResult

from tiktok_assets import clock
from tiktok_assets.api.ids import is_valid_id
from tiktok_assets.economy.journal import unknown_list_size
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.names import AGGREGATE_PERIODS, CREATOR_PRODUCTS, PRODUCT_DETAIL
from tiktok_assets.partitions import IDS_BY_ENTITY
from tiktok_assets.refresh.observe import LIST_GROWTH
from tiktok_assets.refresh.plan import value_threshold
from tiktok_assets.refresh.policy import Observed, Route, change_rate, value
from tiktok_assets.refresh.runs import first_fetch_batches, launch, run_requests
from tiktok_assets.refresh.settings import RefreshSettings
from tiktok_assets.tracking.candidates import Candidate, Decision, Status, previous, record
from tiktok_assets.tracking.candidates import shop_candidates as candidates_of
from tiktok_assets.tracking.settings import DiscoverySettings
from tiktok_assets.tracking.tracked import tracked_ids
from tiktok_assets.warehouse import tables

ENTITY = "shop"
CANDIDATE = "shop_candidate"
"""The `asset` of a candidate shop's first fetch among the routes of the refresh plan."""
FEEDS = (PRODUCT_DETAIL, CREATOR_PRODUCTS)
"""The assets whose new materializations bring new evidence."""
LIST_PERIOD = 30
"""The lists whose sizes price a new shop's lists, and whose revenue totals the market."""


def first_fetch_credits(pages: int) -> int:
    """A shop's first fetch: its profile, its four totals and its four lists of `pages`."""
    periods = len(AGGREGATE_PERIODS)
    return 1 + periods + periods * pages


def typical_pages(engine: sa.Engine, page_size: int) -> int:
    """Pages of a shop's list never fetched, priced like the newest lists of the tracked
    shops (`unknown_list_size`; 1 when none is known)."""
    t = tables.shop_products
    sizes = (
        sa.select(t.c.shop_id, t.c.snapshot_date, sa.func.count().label("size"))
        .where(t.c.period == LIST_PERIOD)
        .group_by(t.c.shop_id, t.c.snapshot_date)
        .subquery()
    )
    newest = (
        sa.select(sizes.c.shop_id, sa.func.max(sizes.c.snapshot_date).label("day"))
        .group_by(sizes.c.shop_id)
        .subquery()
    )
    query = sa.select(sizes.c.size).join(
        newest, sa.and_(sizes.c.shop_id == newest.c.shop_id, sizes.c.snapshot_date == newest.c.day)
    )
    with engine.connect() as conn:
        found = [int(n) for (n,) in conn.execute(query)]
    size = unknown_list_size(found)
    if size is None:
        return 1
    return max(1, math.ceil((size + LIST_GROWTH) / page_size))


@dataclasses.dataclass(frozen=True)
class Market:
    """What the tracked shops' newest 30-day lists sell: the market a candidate is measured
    against, and what a shop found by discovery is expected to sell."""

    shops: dict[str, float]
    """shop → its newest 30-day list's revenue."""

    @property
    def revenue(self) -> float:
        return sum(self.shops.values())

    def expected(self, score: float) -> float:
        """A candidate's expected 30-day revenue: what its known products sell, or what the
        median tracked shop sells if that is more (its evidence is a lower bound: a shop is
        found through one or two of its products)."""
        prior = statistics.median(self.shops.values()) if self.shops else 0.0
        return max(score, prior)

    def share(self, score: float) -> float:
        """A candidate's expected share of the market's revenue."""
        market = self.revenue
        return min(1.0, self.expected(score) / market) if market > 0 else 1.0

    def worth_per_credit(self, score: float, credits: int, floor_days: int) -> float:
        """A candidate's first fetch in the refresh policy's currency: its lists and its
        totals are each worth its expected share of the market's revenue, never fetched."""
        worth = value(2 * self.share(score), change_rate(0, 0, 1.0), floor_days, floor_days)
        return worth / max(credits, 1)


def market(engine: sa.Engine, shops: Collection[str]) -> Market:
    """The tracked shops' newest 30-day lists, summed per shop."""
    t = tables.shop_products
    if not shops:
        return Market({})
    newest = (
        sa.select(t.c.shop_id, sa.func.max(t.c.snapshot_date).label("day"))
        .where(t.c.period == LIST_PERIOD, t.c.shop_id.in_(sorted(shops)))
        .group_by(t.c.shop_id)
        .subquery()
    )
    query = (
        sa.select(t.c.shop_id, sa.func.coalesce(sa.func.sum(t.c.revenue), 0.0))
        .join(
            newest,
            sa.and_(
                t.c.shop_id == newest.c.shop_id,
                t.c.snapshot_date == newest.c.day,
                t.c.period == LIST_PERIOD,
            ),
        )
        .group_by(t.c.shop_id)
    )
    with engine.connect() as conn:
        return Market({str(shop): float(revenue) for shop, revenue in conn.execute(query)})


def candidate_routes(engine: sa.Engine, shops: Collection[str], page_size: int) -> list[Observed]:
    """The waiting candidate shops as routes of the day's plan: each its whole first fetch,
    weighted by its expected share of the market's revenue (`Market.share`), counted twice
    (its lists and its totals), never fetched."""
    t = tables.discovery_candidates
    query = sa.select(t.c.id, t.c.score).where(
        t.c.entity == ENTITY, t.c.status == Status.WAITING.value
    )
    with engine.connect() as conn:
        waiting = [(str(i), float(s)) for i, s in conn.execute(query) if str(i) not in shops]
    if not waiting:
        return []
    seen = market(engine, shops)
    credits = first_fetch_credits(typical_pages(engine, page_size))
    prior = change_rate(0, 0, 1.0)
    return [
        Observed(
            Route(CANDIDATE, shop, 0), None, prior, 2 * seen.share(score), credits, candidate=True
        )
        for shop, score in waiting
        if is_valid_id(shop)
    ]


def _cursor(instance: DagsterInstance, today: dt.date) -> str:
    """The newest materialization of each feed and the day: what a tick has seen."""
    seen: dict[str, object] = {"day": today.isoformat()}
    for asset in FEEDS:
        records = instance.fetch_materializations(AssetKey(asset), limit=1).records
        seen[asset] = records[0].storage_id if records else 0
    return json.dumps(seen, sort_keys=True)


def decide(
    found: Sequence[Candidate],
    *,
    tracked: Collection[str],
    before: dict[str, tuple[str, dt.date | None]],
    discover: bool,
    cap: int,
    left: int,
    credits: int,
    market: Market,
    threshold: float | None,
    floor_days: int,
) -> list[Decision]:
    """The verdict on each candidate, best first (see the module docstring); pure."""
    decisions: list[Decision] = []
    admitted = 0
    blocked: str | None = None
    for c in found:
        earlier = before.get(c.id, ("", None))
        if not is_valid_id(c.id):
            decisions.append(Decision(c, Status.REJECTED, "not an id (1 to 20 digits)"))
            continue
        if c.id in tracked:
            when = earlier[1]
            why = f"admitted on {when}" if when else "tracked already (a seed, or by hand)"
            decisions.append(Decision(c, Status.ADMITTED, why, credits))
            continue
        if earlier[0] in (Status.ADMITTED, Status.REJECTED) and earlier[1] is not None:
            why = "untracked since it was admitted: not added again (track it to follow it)"
            decisions.append(Decision(c, Status.REJECTED, why, credits))
            continue
        if not discover:
            why = "shop discovery is off (TIKTOK_DISCOVER_SHOPS=0)"
        elif blocked is not None:
            why = blocked
        elif (
            threshold is not None
            and (worth := market.worth_per_credit(c.score, credits, floor_days)) < threshold
        ):
            why = (
                f"worth {worth:.3g} per credit; the day's refresh pays {threshold:.3g} and more "
                "per credit"
            )
        elif admitted >= cap:
            blocked = why = f"the tick's cap of {cap} new shop(s) is reached: next tick"
        elif credits > left:
            blocked = why = (
                f"the day's share is spent: a first fetch needs about {credits} credit(s), "
                f"{left} left today; next in line tomorrow"
            )
        else:
            admitted += 1
            left -= credits
            decisions.append(
                Decision(c, Status.ADMITTED, f"admitted: score {c.score:,.0f}", credits)
            )
            continue
        decisions.append(Decision(c, Status.WAITING, why, credits))
    return decisions


def shop_discovery_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    pricing: Pricing,
    discovery: DiscoverySettings,
    settings: RefreshSettings,
    log: logging.Logger,
    name: str = "shop_discovery_sensor",
) -> SensorResult:
    """Rank the candidate shops, admit what the day can pay, record every decision."""
    today = clock.today()
    seen = _cursor(instance, today)
    if cursor == seen:
        return SensorResult(
            skip_reason=f"{name}: no new product profile or creator list, and the same day",
            cursor=cursor,
        )
    tracked = tracked_ids(instance)
    shops = set(tracked["shop"])
    engine = pricing.engine
    found = candidates_of(engine, tracked["creator"])
    credits = first_fetch_credits(typical_pages(engine, pricing.terms.page_size))
    left = pricing.allowance(today)[1]
    decisions = decide(
        found,
        tracked=shops,
        before=previous(engine, ENTITY),
        discover=settings.discover_shops,
        cap=discovery.max_new_ids_per_tick,
        left=left,
        credits=credits,
        market=market(engine, shops),
        threshold=value_threshold(engine, today),
        floor_days=settings.floor_days,
    )
    record(engine, ENTITY, decisions, today)
    new = [
        d.candidate.id
        for d in decisions
        if d.status is Status.ADMITTED and d.candidate.id not in shops
    ]
    report = f"{name}: {_summary(decisions, new)}"
    waiting = [d for d in decisions if d.status is Status.WAITING]
    (log.info if not waiting or new else log.warning)(report)
    if not new:
        return SensorResult(skip_reason=report, cursor=seen)
    batches = first_fetch_batches(
        ENTITY,
        new,
        chunk_ids=settings.chunk_ids,
        max_runs=settings.max_runs_per_job,
        history=settings.history,
    )
    launched = launch(batches, pricing, log, name, paced=settings.adaptive)
    return SensorResult(
        run_requests=run_requests(launched, launched_by=name, run_key_suffix=today.isoformat()),
        dynamic_partitions_requests=[IDS_BY_ENTITY[ENTITY].build_add_request(new)],
        cursor=seen,
    )


def _summary(decisions: Sequence[Decision], new: Sequence[str]) -> str:
    """The tick's message: how many candidates, admitted now (named), waiting and why."""
    counts: dict[Status, int] = {}
    reasons: dict[str, int] = {}
    for d in decisions:
        counts[d.status] = counts.get(d.status, 0) + 1
        if d.status is Status.WAITING:
            reasons[d.reason] = reasons.get(d.reason, 0) + 1
    parts = [f"{len(decisions)} candidate shop(s)"]
    if new:
        shown = ", ".join(new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
        parts.append(f"{len(new)} admitted now ({shown})")
    parts.append(f"{counts.get(Status.ADMITTED, 0)} tracked in all")
    if reasons:
        top = "; ".join(
            f"{n}: {why}" for why, n in sorted(reasons.items(), key=lambda r: -r[1])[:3]
        )
        parts.append(f"{counts[Status.WAITING]} waiting ({top})")
    if counts.get(Status.REJECTED):
        parts.append(f"{counts[Status.REJECTED]} rejected")
    return "; ".join(parts) + " (see the discovery_candidates table)"
