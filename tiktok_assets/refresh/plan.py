"""The day's refresh under the adaptive policy: decide, record (`refresh_plan`), and cut runs.

`plan_day` observes every tracked route, gives the policy the day's allowance (pacing, less
the reconciliation samples the derived totals cost), writes one `refresh_plan` row per route,
and cuts what is fetched into ranged runs, one or a few per asset: each run's range spans its
first to its last chosen id, and the run fetches only the partitions the plan of the day
chose (`PLAN_TAG`; see `planned_keys`), so a range may skip ids. Lists first: the runs of the
product totals (`then`) go after the others (`first`), so that they derive from today's lists.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from dagster import RunRequest

from tiktok_assets.catalog import SOURCES_OF
from tiktok_assets.economy import pacing
from tiktok_assets.economy.journal import credits_spent
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.jobs import FAMILIES, JobFamily, families_of
from tiktok_assets.names import (
    DAY_TAG,
    DEFERRED_CREDITS_TAG,
    DEFERRED_ROUTES_TAG,
    PLAN_TAG,
    PLANNED_CREDITS_TAG,
    POLICY_TAG,
    PRODUCT_HISTORY,
    SHOP_PRODUCTS,
)
from tiktok_assets.refresh.observe import observe
from tiktok_assets.refresh.policy import (
    BANDS,
    FETCHED,
    Action,
    Band,
    Decision,
    Observed,
    PolicySettings,
    Route,
    choose,
)
from tiktok_assets.refresh.runs import Batch, batch_request, family_batches, numbered
from tiktok_assets.refresh.settings import RefreshSettings
from tiktok_assets.tracking.dormancy import NONE, Dormancy, dormancy
from tiktok_assets.warehouse.tables import refresh_plan


@dataclasses.dataclass(frozen=True)
class DayPlan:
    """The adaptive policy's refresh of one day."""

    today: dt.date
    share: int
    """The day's share of the month's usable credits."""
    allowance: int
    """What was left of it when the plan was made."""
    decisions: tuple[Decision, ...]
    first: tuple[Batch, ...]
    then: tuple[Batch, ...]
    """Runs of routes that derive from `first`'s lists: launched once `first` has finished."""
    dormant: Dormancy = NONE
    """The tracked ids left out: they stopped selling (`tracking.dormancy`)."""

    @property
    def credits(self) -> int:
        return sum(d.credits for d in self.decisions)

    @property
    def deferred(self) -> list[Decision]:
        return [d for d in self.decisions if d.action is Action.DEFER]

    @property
    def admitting(self) -> list[Decision]:
        """The candidates' first fetches the day pays for (credits kept for discovery)."""
        return [d for d in self.decisions if d.observed.candidate and d.action is Action.FETCH]

    def by_band(self) -> dict[Band, tuple[int, int]]:
        """band → (routes fetched, credits)."""
        return band_totals(self.decisions)

    def summary(self) -> str:
        bands = self.by_band()
        parts = [
            f"{band} {bands[band][0]:,} route(s) {bands[band][1]:,} credit(s)"
            for band in (*BANDS, Band.FREE)
            if band in bands
        ]
        deferred = self.deferred
        text = (
            f"refresh plan of {self.today}: {sum(r for r, _ in bands.values()):,} route(s), "
            f"{self.credits:,} credit(s) of the day's {self.allowance:,} left (share "
            f"{self.share:,}); {'; '.join(parts) or 'nothing due'}; "
            f"{len(self.first) + len(self.then)} run(s); {self.dormant.describe()}"
        )
        if self.admitting:
            text += (
                f"; {sum(d.credits for d in self.admitting):,} credit(s) kept for "
                f"{len(self.admitting)} candidate shop(s) worth admitting (shop_discovery_sensor)"
            )
        if deferred:
            text += (
                f"; {len(deferred):,} due route(s) needing "
                f"{sum(d.observed.cost for d in deferred):,} credit(s) DEFERRED to tomorrow: "
                "the day's share is spent"
            )
        return text

    def tags(self) -> dict[str, str]:
        """What every run of the plan carries: the day, the policy, what was deferred."""
        deferred = self.deferred
        return {
            DAY_TAG: self.today.isoformat(),
            PLAN_TAG: self.today.isoformat(),
            POLICY_TAG: "adaptive",
            DEFERRED_ROUTES_TAG: str(len(deferred)),
            DEFERRED_CREDITS_TAG: str(sum(d.observed.cost for d in deferred)),
        }


def band_totals(decisions: Sequence[Decision]) -> dict[Band, tuple[int, int]]:
    """band → (routes fetched, credits) of the decisions."""
    out: dict[Band, tuple[int, int]] = {}
    for d in decisions:
        if d.action in FETCHED:
            routes, credits = out.get(d.band, (0, 0))
            out[d.band] = (routes + 1, credits + d.credits)
    return out


def _observe(
    engine: sa.Engine,
    tracked: Mapping[str, Sequence[str]],
    pricing: Pricing,
    settings: RefreshSettings,
    today: dt.date,
) -> list[Observed]:
    """Every tracked route as the warehouse knows it today."""
    return observe(
        engine,
        tracked,
        today=today,
        page_size=pricing.terms.page_size,
        first_history_period=settings.history.first_period,
        derive_from_lists=pricing.derives,
    )


def derived_later(asset: str) -> bool:
    """True for the assets the day's lists answer: their runs go after the lists."""
    return asset in SOURCES_OF


def _family_of(asset: str) -> JobFamily:
    return next(f for f in FAMILIES.values() if asset in f.assets)


def batches_of(
    chosen: Mapping[str, set[Route]],
    tracked: Mapping[str, Sequence[str]],
    settings: RefreshSettings,
) -> list[Batch]:
    """Ranged runs covering the chosen routes, per asset: each range from the first to the
    last chosen id (in the order the ids were added), over the periods chosen."""
    batches: list[Batch] = []
    for asset, routes in sorted(chosen.items()):
        if not routes:
            continue
        family = _family_of(asset)
        order = list(tracked.get(family.entity, ()))
        wanted = {r.entity_id for r in routes}
        positions = [i for i, entity_id in enumerate(order) if entity_id in wanted]
        if not positions:
            continue
        span = order[positions[0] : positions[-1] + 1]
        periods: tuple[int, ...] = ()
        if family.has_period:
            indexes = [family.periods.index(r.period) for r in routes]
            periods = family.periods[min(indexes) : max(indexes) + 1]
        for batch in family_batches(
            family,
            span,
            periods=periods,
            chunk_ids=settings.chunk_ids,
            max_runs=settings.max_runs_per_job,
            assets=(asset,),
        ):
            if wanted.intersection(batch.ids):
                batches.append(batch)
    return batches


def plan_day(
    engine: sa.Engine,
    tracked: Mapping[str, Sequence[str]],
    *,
    pricing: Pricing,
    settings: RefreshSettings,
    today: dt.date,
    write: bool = True,
    candidates: Sequence[Observed] = (),
) -> DayPlan:
    """Decide the day's refresh (see the module docstring); `write=False` records nothing.

    `candidates` are first fetches discovery would make (shops: `refresh.shops`), valued in
    the same currency as the routes: those the day pays for are kept credits for (the shop
    discovery sensor spends them), not runs of the plan."""
    asleep = dormancy(engine, tracked, days=settings.dormant_days)
    observed = _observe(engine, asleep.active(tracked), pricing, settings, today)
    observed += candidates
    share, left = pricing.allowance(today)
    decisions = choose(
        observed,
        today=today,
        allowance=_for_routes(left, pricing),
        settings=PolicySettings(floor_days=settings.floor_days),
    )
    if write:
        record(engine, [*decisions, *_dormant_decisions(asleep, today, settings)], today)
    chosen: dict[str, set[Route]] = {}
    for d in decisions:
        if d.action in FETCHED and not d.observed.candidate:
            chosen.setdefault(d.route.asset, set()).add(d.route)
    # Lists first whenever the day fetches shop lists: a total priced as paid (a product the
    # stored lists do not hold yet, a new id's burst) is derived all the same once today's
    # lists are in; lists fetched earlier today need no waiting.
    lists = any(d.action is Action.FETCH and d.route.asset == SHOP_PRODUCTS for d in decisions)
    first = {a: r for a, r in chosen.items() if not (lists and derived_later(a))}
    then = {a: r for a, r in chosen.items() if lists and derived_later(a)}
    return DayPlan(
        today,
        share,
        left,
        tuple(decisions),
        tuple(batches_of(first, tracked, settings)),
        tuple(batches_of(then, tracked, settings)),
        asleep,
    )


def _dormant_decisions(
    asleep: Dormancy, today: dt.date, settings: RefreshSettings
) -> list[Decision]:
    """A `dormant` row per route of each dormant id, so the plan shows why it waits."""
    tomorrow = today + dt.timedelta(days=1)
    out: list[Decision] = []
    for entity in ("shop", "product"):
        for entity_id, silent_since in asleep.of(entity).items():
            reason = (
                f"dormant: no sale in {settings.dormant_days} days as of {silent_since}, and "
                "no tracked list shows it selling since"
            )
            for family in families_of(entity):
                for asset in family.assets:
                    periods = (0,) if asset == PRODUCT_HISTORY else family.periods or (0,)
                    for period in periods:
                        observed = Observed(Route(asset, entity_id, period), None, 0.0, 0.0, 0)
                        out.append(
                            Decision(observed, Action.DORMANT, Band.DORMANT, 0.0, tomorrow, reason)
                        )
    return out


MARGIN = 0.02
"""Share of the day's credits kept for what a plan cannot foresee (a product that left its
list since the newest stored one is paid, not derived)."""


def _for_routes(left: int, pricing: Pricing) -> int:
    """The day's credits left for routes: less the reconciliation samples the derived
    partitions pay (`TIKTOK_RECONCILE_SAMPLE` per derivable asset and day) and `MARGIN`."""
    samples = (pricing.terms.reconcile_sample or 0) * len(SOURCES_OF)
    return max(0, left - samples - math.ceil(left * MARGIN))


def record(engine: sa.Engine, decisions: Sequence[Decision], today: dt.date) -> None:
    """Replace the table's plan with the day's decisions."""
    rows = [
        {
            "asset": d.route.asset,
            "entity_id": d.route.entity_id,
            "period": d.route.period,
            "planned_on": today,
            "policy": "adaptive",
            "action": d.action.value,
            "band": d.band.value,
            "reason": d.reason,
            "score": float(d.score),
            "credits": d.credits,
            "last_fetch": d.observed.last_fetch,
            "next_due": d.next_due,
            "change_rate": d.observed.rate,
            "weight": d.observed.weight,
        }
        for d in decisions
    ]
    with engine.begin() as conn:
        conn.execute(sa.delete(refresh_plan))
        for start in range(0, len(rows), 500):
            conn.execute(sa.insert(refresh_plan), rows[start : start + 500])


def value_threshold(engine: sa.Engine, day: dt.date) -> float | None:
    """What a credit buys at the margin on `day`: the value per credit of the least valued
    route its plan paid for (None when no plan of that day paid for a route by value)."""
    t = refresh_plan
    value_bands = [b.value for b in (Band.HIGH, Band.MEDIUM, Band.LOW)]
    query = sa.select(sa.func.min(t.c.score)).where(
        t.c.planned_on == day, t.c.action == Action.FETCH.value, t.c.band.in_(value_bands)
    )
    with engine.connect() as conn:
        found = conn.execute(query).scalar_one()
    return None if found is None else float(found)


def planned_keys(engine: sa.Engine, asset: str, day: dt.date) -> set[str]:
    """The partition keys of `asset` the plan of `day` fetches."""
    t = refresh_plan
    query = sa.select(t.c.entity_id, t.c.period).where(
        t.c.asset == asset, t.c.planned_on == day, t.c.action.in_([a.value for a in FETCHED])
    )
    with engine.connect() as conn:
        return {Route(asset, str(i), int(p)).key for i, p in conn.execute(query)}


def planned_later(engine: sa.Engine, day: dt.date) -> dict[str, dict[Route, int]]:
    """The routes of the plan of `day` whose runs wait for the lists, with their credits."""
    t = refresh_plan
    query = sa.select(t.c.asset, t.c.entity_id, t.c.period, t.c.credits).where(
        t.c.planned_on == day, t.c.action.in_([a.value for a in FETCHED])
    )
    chosen: dict[str, dict[Route, int]] = {}
    with engine.connect() as conn:
        for asset, entity_id, period, credits in conn.execute(query):
            if derived_later(asset):
                route = Route(asset, str(entity_id), int(period))
                chosen.setdefault(asset, {})[route] = int(credits)
    return chosen


def credits_by_batch(
    credits: Mapping[tuple[str, str], int], batches: Sequence[Batch]
) -> dict[str, int]:
    """Credits planned in each batch (by label), from credits per (asset, partition key)."""
    return {
        b.label: sum(credits.get((a, k), 0) for a in b.asset_names for k in b.partition_keys)
        for b in batches
    }


def run_requests(
    batches: Sequence[Batch],
    *,
    tags: Mapping[str, str],
    launched_by: str,
    planned: Mapping[str, int] | None = None,
) -> list[RunRequest]:
    """One run per batch of one asset; `planned`: credits per batch label."""

    def tags_of(batch: Batch) -> dict[str, str]:
        if planned is None:
            return dict(tags)
        return {**tags, PLANNED_CREDITS_TAG: str(planned.get(batch.label, 0))}

    return [
        batch_request(
            batch,
            tags=tags_of(batch),
            launched_by=launched_by,
            position=position,
            run_key_suffix=tags.get(PLAN_TAG, ""),
        )
        for batch, position in numbered(batches)
    ]


def planned_credits(plan: DayPlan, batches: Sequence[Batch]) -> dict[str, int]:
    """Credits the plan spends in each batch (by label)."""
    return credits_by_batch(
        {(d.route.asset, d.route.key): d.credits for d in plan.decisions}, batches
    )


@dataclasses.dataclass(frozen=True)
class DayOutlook:
    """What the plan of a coming day would spend, by band (`band → (routes, credits)`)."""

    day: dt.date
    share: int
    bands: dict[Band, tuple[int, int]]
    deferred: int

    @property
    def credits(self) -> int:
        return sum(c for _, c in self.bands.values())


def outlook(
    engine: sa.Engine,
    tracked: Mapping[str, Sequence[str]],
    *,
    pricing: Pricing,
    settings: RefreshSettings,
    today: dt.date,
    days: int,
) -> tuple[list[DayOutlook], Dormancy]:
    """The plans of `today` and the `days − 1` following, as if each day fetched what its plan
    chose (change rates and weights as known today; the month's pacing carried day to day),
    and the dormant ids they leave out."""
    asleep = dormancy(engine, tracked, days=settings.dormant_days)
    observed = _observe(engine, asleep.active(tracked), pricing, settings, today)
    _, left = pricing.allowance(today)
    spent = credits_spent(engine, today)  # this month's, today's so far included
    policy = PolicySettings(floor_days=settings.floor_days)
    out: list[DayOutlook] = []
    for ahead in range(days):
        day = today + dt.timedelta(days=ahead)
        if day.month != today.month:  # a new credit month
            spent, left = 0, pacing.day_share(pricing.usable_credits, 0, day)
        elif ahead:
            left = pacing.day_share(pricing.usable_credits, spent, day)
        decisions = choose(
            observed, today=day, allowance=_for_routes(left, pricing), settings=policy
        )
        bands = band_totals(decisions)
        fetched = {d.route for d in decisions if d.action in FETCHED}
        observed = [
            dataclasses.replace(o, last_fetch=day) if o.route in fetched else o for o in observed
        ]
        deferred = sum(1 for d in decisions if d.action is Action.DEFER)
        day_out = DayOutlook(day, left, bands, deferred)
        spent += day_out.credits
        out.append(day_out)
    return out, asleep


def outlook_table(days: Sequence[DayOutlook], asleep: Dormancy = NONE) -> str:
    """The outlook as a text table: one row per day, credits (routes) per band; and the
    dormant ids it leaves out."""
    bands = (*BANDS, Band.FREE)
    head = ["day", "allowance", *bands, "credits", "deferred"]
    rows = [
        [
            d.day.isoformat(),
            f"{d.share:,}",
            *(f"{d.bands[b][1]:,} ({d.bands[b][0]:,})" if b in d.bands else "-" for b in bands),
            f"{d.credits:,}",
            f"{d.deferred:,}",
        ]
        for d in days
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]
    ]
    return (
        "\n".join(lines)
        + "\ncredits (routes) by priority band; free routes cost nothing"
        + f"\n{asleep.describe()} (not refreshed until a list shows them selling again)"
    )
