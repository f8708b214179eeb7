"""The cost planner: what materializing some partitions would cost, before anything is sent.

For each partition it lists the requests the asset would make (list routes: as many pages
as the last known `total` needs; for a list never answered, as many as the median list of
that route needs, 1 when none is known), counts those the request journal would
serve free, and sets the paid rest (1 credit each) against the month's remaining credits
and the rate limit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from dagster import (
    AssetKey,
    AssetSelection,
    BetaWarning,
    DagsterInstance,
    Definitions,
    PartitionKeyRange,
    PartitionsDefinition,
    partition_loading_context,
)

from tiktok_assets import clock
from tiktok_assets.api.ids import is_valid_id
from tiktok_assets.catalog import SOURCES, AssetSource
from tiktok_assets.economy.budget import CreditTerms, month_reset_date
from tiktok_assets.economy.journal import credits_spent, fresh_keys, known_totals, typical_totals
from tiktok_assets.economy.reconcile import Trust, standing
from tiktok_assets.economy.sources import SOURCES_OF, derivations, listed_products
from tiktok_assets.names import (
    CREDITS_LEFT_TAG,
    PLANNED_CACHED_TAG,
    PLANNED_CREDITS_TAG,
    PLANNED_REQUESTS_TAG,
    PRODUCT_TOTAL,
    SHOP_PRODUCTS,
)
from tiktok_assets.partitions import split_key

RANGE_SEPARATOR = "..."


@dataclasses.dataclass(frozen=True)
class AssetCost:
    """What one asset's selected partitions would cost."""

    asset: str
    partitions: int
    requests: int
    cached: int
    derived: int = 0
    """Partitions answered from lists and daily series of the day: no request."""
    samples: int = 0
    """Of the paid requests, those that verify a source before it is trusted."""

    @property
    def credits(self) -> int:
        """Paid requests: 1 credit each."""
        return self.requests - self.cached


@dataclasses.dataclass(frozen=True)
class CostPlan:
    """The cost of a run (or backfill): per-asset rows, totals and the month's credits."""

    rows: tuple[AssetCost, ...]
    spent_this_month: int
    monthly_credit_limit: int
    credit_reserve: int
    rate_per_minute: int
    month_resets_on: dt.date

    @property
    def partitions(self) -> int:
        return sum(r.partitions for r in self.rows)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rows)

    @property
    def cached(self) -> int:
        return sum(r.cached for r in self.rows)

    @property
    def credits(self) -> int:
        return sum(r.credits for r in self.rows)

    @property
    def derived(self) -> int:
        return sum(r.derived for r in self.rows)

    @property
    def samples(self) -> int:
        return sum(r.samples for r in self.rows)

    @property
    def credits_available(self) -> int:
        """Usable credits left this month before the plan: limit - reserve - spent."""
        return self.monthly_credit_limit - self.credit_reserve - self.spent_this_month

    @property
    def credits_left(self) -> int:
        """Usable credits left after the plan (negative: the plan does not fit)."""
        return self.credits_available - self.credits

    @property
    def fits(self) -> bool:
        return self.credits_left >= 0

    @property
    def wall_seconds(self) -> float:
        """Time the paid requests need at the rate limit (0 when pacing is off)."""
        if self.rate_per_minute <= 0:
            return 0.0
        return self.credits / self.rate_per_minute * 60.0

    def to_table(self) -> str:
        """A fixed-width table of the plan, for a terminal or a log."""
        header = ("asset", "partitions", "derived", "requests", "cached", "samples", "credits")
        body = [
            (r.asset, r.partitions, r.derived, r.requests, r.cached, r.samples, r.credits)
            for r in self.rows
        ]
        total = (
            "total",
            self.partitions,
            self.derived,
            self.requests,
            self.cached,
            self.samples,
            self.credits,
        )
        cells = [[v if isinstance(v, str) else f"{v:,}" for v in row] for row in [*body, total]]
        widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]

        def line(row: Sequence[str]) -> str:
            first, *rest = row
            numbers = (v.rjust(w) for v, w in zip(rest, widths[1:], strict=True))
            return "  ".join([first.ljust(widths[0]), *numbers]).rstrip()

        rule = "  ".join("-" * w for w in widths)
        lines = [line(header), rule, *(line(row) for row in cells[:-1]), rule, line(cells[-1])]
        usable = self.monthly_credit_limit - self.credit_reserve
        lines += [
            "",
            f"credits this month: {self.spent_this_month:,} spent of {usable:,} usable "
            f"(limit {self.monthly_credit_limit:,} - reserve {self.credit_reserve:,})",
            f"credits left after this plan: {self.credits_left:,}"
            + ("" if self.fits else "  ** DOES NOT FIT: the run would be refused **"),
            f"credits reset on: {self.month_resets_on.isoformat()}",
            (
                f"wall time at {self.rate_per_minute}/min: {_duration(self.wall_seconds)}"
                " (paid requests only)"
                if self.rate_per_minute > 0
                else "wall time: pacing disabled"
            ),
        ]
        return "\n".join(lines)

    def as_tags(self) -> dict[str, str]:
        """Run tags recording the plan (for runs launched by sensors and schedules)."""
        return {
            PLANNED_REQUESTS_TAG: str(self.requests),
            PLANNED_CREDITS_TAG: str(self.credits),
            PLANNED_CACHED_TAG: str(self.cached),
            CREDITS_LEFT_TAG: str(self.credits_left),
        }


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def plan_partitions(
    engine: sa.Engine,
    items: Iterable[tuple[AssetSource, str]],
    terms: CreditTerms,
    *,
    force_refresh: bool = False,
    max_age: dt.timedelta | None = None,
) -> CostPlan:
    """The cost of materializing each (asset, partition key) in `items` on `terms`.

    `terms.page_size` must be the API resource's, since cached pages are matched on it. With
    `terms.reconcile_sample` (the runs' sample size; None: no derivation), partitions of
    `product_total` and `product_history` that an answer of the day holds — or will hold once
    the shop lists and daily series in the same plan are fetched, as the refresh fetches them
    first — count as derived (free), but for the samples each unverified source still needs.
    """
    items = list(items)
    page_size, reconcile_sample = terms.page_size, terms.reconcile_sample
    today = clock.today()
    routes = {source.endpoint.route for source, _ in items}
    paged_routes = {source.endpoint.route for source, _ in items if source.endpoint.paged}
    totals = known_totals(engine, paged_routes) if paged_routes else {}
    typical = typical_totals(totals)
    fresh = set() if force_refresh else fresh_keys(engine, routes=routes, max_age=max_age)
    foreseen = (
        _foreseen_derivations(engine, items, today)
        if reconcile_sample is not None and not force_refresh
        else {}
    )
    samples_left: dict[tuple[str, str], int] = {}
    counts: dict[str, list[int]] = {}
    for source, partition_key in items:
        entity_id, period = split_key(partition_key)
        route = source.endpoint.route
        known = totals.get((route, entity_id, period), typical.get(route))
        if is_valid_id(entity_id):
            requests = source.requests(entity_id, period, page_size=page_size, known_total=known)
        else:  # refused before any request; the fetch reports it for its partition
            requests = []
        cached = sum((r.route, r.params_key) in fresh for r in requests)
        row = counts.setdefault(source.asset, [0, 0, 0, 0, 0])
        row[0] += 1
        derivable = source.endpoint.name in SOURCES_OF and cached < len(requests)
        origin = foreseen.get((source.endpoint.name, entity_id, period)) if derivable else None
        if origin is not None:
            slot = (origin, source.endpoint.name)
            if slot not in samples_left:
                st = standing(engine, today, origin, source.endpoint.name, reconcile_sample or 0)
                samples_left[slot] = -1 if st.trust is Trust.DISTRUSTED else st.needed
            if samples_left[slot] > 0:
                samples_left[slot] -= 1
                row[4] += 1  # paid as a sample
            elif samples_left[slot] == 0:
                row[3] += 1
                continue  # derived: no request
        row[1] += len(requests)
        row[2] += cached
    return CostPlan(
        rows=tuple(AssetCost(asset, *numbers) for asset, numbers in counts.items()),
        spent_this_month=credits_spent(engine, today),
        monthly_credit_limit=terms.monthly_credit_limit,
        credit_reserve=terms.credit_reserve,
        rate_per_minute=terms.rate_per_minute,
        month_resets_on=month_reset_date(today),
    )


def _foreseen_derivations(
    engine: sa.Engine, items: Sequence[tuple[AssetSource, str]], today: dt.date
) -> dict[tuple[str, str, int], str]:
    """(asset, product id, period) -> the source expected to answer it: an answer of today
    already holds it, or a shop list in the same plan will (the refresh fetches the lists in
    runs before the totals). A daily series in the same plan is not counted: it is fetched
    in the same run as the partitions it could answer, not before them."""
    wanted: dict[str, list[tuple[str, str, int]]] = {}
    lists: set[tuple[str, int]] = set()
    for source, key in items:
        entity_id, period = split_key(key)
        if period is None:
            continue
        name = source.endpoint.name
        if name in SOURCES_OF:
            wanted.setdefault(name, []).append((key, entity_id, period))
        if name == SHOP_PRODUCTS:
            lists.add((entity_id, period))
    if not wanted:
        return {}
    listed = listed_products(engine, lists, today)
    foreseen: dict[tuple[str, str, int], str] = {}
    for asset, keys in wanted.items():
        now = derivations(engine, asset, keys, today)
        for key, entity_id, period in keys:
            if key in now:
                foreseen[(asset, entity_id, period)] = now[key].source
            elif asset == PRODUCT_TOTAL and (entity_id, period) in listed:
                foreseen[(asset, entity_id, period)] = SHOP_PRODUCTS
    return foreseen


def _source_for(key: AssetKey) -> AssetSource | None:
    return SOURCES.get(key.to_user_string()) or SOURCES.get(key.path[-1])


def _selected(defs: Definitions, select: str) -> list[tuple[AssetSource, PartitionsDefinition]]:
    """The selected assets that call the API, in catalog order, with their partitions."""
    graph = defs.resolve_asset_graph()
    with warnings.catch_warnings():  # include_sources is a beta parameter
        warnings.simplefilter("ignore", BetaWarning)
        # external assets (AssetSpecs) too, so `group:` and `tag:` match them as `key:` does
        selection = AssetSelection.from_string(select, include_sources=True)
    keys = selection.resolve(graph)
    matched = {key: source for key in keys if (source := _source_for(key)) is not None}
    if not matched:
        raise ValueError(
            f"selection {select!r} matches no asset that calls the API "
            f"(selected: {sorted(k.to_user_string() for k in keys) or 'nothing'}; "
            f"API assets: {', '.join(SOURCES)})"
        )
    order = list(SOURCES.values())
    return [
        (source, graph.get(key).partitions_def or source.partitions_def)
        for key, source in sorted(matched.items(), key=lambda item: order.index(item[1]))
    ]


def _partition_keys(
    partitions_def: PartitionsDefinition,
    instance: DagsterInstance,
    partitions: Sequence[str] | None,
) -> tuple[list[str], set[str]]:
    """(keys of this definition, the requested keys or ranges it understood)."""
    with partition_loading_context(dynamic_partitions_store=instance):
        if partitions is None:
            return [str(k) for k in partitions_def.get_partition_keys()], set()
        keys: list[str] = []
        understood: set[str] = set()
        for spec in partitions:
            start, sep, end = spec.partition(RANGE_SEPARATOR)
            if sep:
                start, end = start.strip(), end.strip()
                has = partitions_def.has_partition_key
                if has(start) and has(end):
                    found = partitions_def.get_partition_keys_in_range(
                        PartitionKeyRange(start, end)
                    )
                    if found:  # empty when `start` comes after `end`
                        keys += found
                        understood.add(spec)
            elif partitions_def.has_partition_key(spec):
                keys.append(spec)
                understood.add(spec)
        return list(dict.fromkeys(str(k) for k in keys)), understood


def parse_partitions(text: str | None) -> list[str] | None:
    """`'123|30,456|7'` or `'a|30...b|30'` -> a list of keys and ranges (None: all)."""
    if text is None or not text.strip():
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def plan_selection(
    defs: Definitions,
    instance: DagsterInstance,
    engine: sa.Engine,
    *,
    select: str,
    partitions: list[str] | None,
    terms: CreditTerms,
    force_refresh: bool = False,
    max_age: dt.timedelta | None = None,
) -> CostPlan:
    """Plan a selection (`shop_total`, `group:products`, `key:product_*`, ...).

    `partitions`: explicit keys and `start...end` ranges, applied to every selected asset
    whose partitions definition has them; None: every partition (dynamic ids from
    `instance`). A key or range no selected asset has is an error.
    """
    items: list[tuple[AssetSource, str]] = []
    understood: set[str] = set()
    for source, partitions_def in _selected(defs, select):
        keys, known = _partition_keys(partitions_def, instance, partitions)
        understood |= known
        items += [(source, k) for k in keys]
    unknown = [spec for spec in partitions or () if spec not in understood]
    if unknown:
        raise ValueError(
            f"partition keys or ranges {unknown} belong to none of the selected assets "
            "(aggregates take `id|period`, profiles `id`; ids must be registered; a range "
            "runs from the first key to the last in the partitions' order)"
        )
    return plan_partitions(engine, items, terms, force_refresh=force_refresh, max_age=max_age)
