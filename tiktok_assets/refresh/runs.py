"""Ranged runs: tracked ids become a few partition-key ranges, priced before launch.

Dynamic partition keys keep the order they were added in, so a slice of that order is a
contiguous range: `first..last` for a detail job, `first|p1..last|p2` for a period job (a
multi-partition range is the cross product of the id range and the period range, and the
periods `1, 7, 30, 90` are ordered, so `1..7` means `{1, 7}`). A tick thus launches one run
per chunk of ids and job instead of one run per partition.

Every batch is priced with the cost planner (one call for the whole tick,
`economy.pricing`) and launched only while the month's usable credits cover it; runs carry
the plan's tags and who launched them.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Collection, Iterable, Mapping, Sequence

from dagster import AssetKey, RunRequest

from tiktok_assets import clock
from tiktok_assets.catalog import SOURCES, AssetSource
from tiktok_assets.economy.planner import CostPlan
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.jobs import FAMILIES, JobFamily, families_of
from tiktok_assets.names import (
    BATCH_TAG,
    IDS_TAG,
    LAUNCHED_BY_TAG,
    PRODUCT_HISTORY,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from tiktok_assets.refresh.settings import Cadence, HistoryCadence


@dataclasses.dataclass(frozen=True)
class Batch:
    """One run: a contiguous slice of an entity's ids × a contiguous run of periods."""

    family: JobFamily
    ids: tuple[str, ...]
    periods: tuple[int, ...] = ()
    assets: tuple[str, ...] = ()
    """The family's assets the run materializes (empty: all of them)."""

    def __post_init__(self) -> None:
        if not self.ids:
            raise ValueError("a batch needs at least one id")
        if self.family.has_period != bool(self.periods):
            raise ValueError(f"{self.family.name}: periods {self.periods} do not fit the job")

    @property
    def start(self) -> str:
        return self._key(self.ids[0], self.periods[0] if self.periods else None)

    @property
    def end(self) -> str:
        return self._key(self.ids[-1], self.periods[-1] if self.periods else None)

    @staticmethod
    def _key(entity_id: str, period: int | None) -> str:
        return entity_id if period is None else f"{entity_id}|{period}"

    @property
    def partition_keys(self) -> list[str]:
        """The keys the range stands for, in the multi-partition range's order."""
        if not self.periods:
            return list(self.ids)
        return [f"{i}|{p}" for i in self.ids for p in self.periods]

    @property
    def size(self) -> int:
        return len(self.ids) * max(1, len(self.periods))

    @property
    def asset_names(self) -> tuple[str, ...]:
        return self.assets or self.family.assets

    def items(self) -> list[tuple[AssetSource, str]]:
        """(asset, partition key) of everything the run materializes."""
        keys = self.partition_keys
        return [(SOURCES[asset], key) for asset in self.asset_names for key in keys]

    @property
    def label(self) -> str:
        only = f"[{','.join(self.assets)}]" if self.assets else ""
        return f"{self.family.name}{only} {self.start}...{self.end}"


def period_groups(periods: Iterable[int], family: JobFamily) -> list[tuple[int, ...]]:
    """`periods` the family has, split into runs that are contiguous in its period order."""
    wanted = set(periods)
    groups: list[list[int]] = []
    previous = -2
    for index, period in enumerate(family.periods):
        if period not in wanted:
            continue
        if index == previous + 1 and groups:
            groups[-1].append(period)
        else:
            groups.append([period])
        previous = index
    return [tuple(g) for g in groups]


def chunk_size(count: int, chunk_ids: int, max_runs: int) -> int:
    """Ids per run: `chunk_ids`, grown so that `count` ids need at most `max_runs` runs."""
    return max(1, chunk_ids, math.ceil(count / max(1, max_runs)))


def chunks(ids: Sequence[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]


def family_batches(
    family: JobFamily,
    ids: Sequence[str],
    *,
    periods: Iterable[int] = (),
    chunk_ids: int,
    max_runs: int,
    assets: tuple[str, ...] = (),
) -> list[Batch]:
    """The batches covering `ids` (a contiguous slice of the entity's keys) for one job
    (`assets`: only those of its assets)."""
    if not ids:
        return []
    size = chunk_size(len(ids), chunk_ids, max_runs)
    groups = period_groups(periods, family) if family.has_period else [()]
    return [Batch(family, chunk, group, assets) for group in groups for chunk in chunks(ids, size)]


def _asset_periods(
    family: JobFamily,
    periods: tuple[int, ...],
    history: HistoryCadence | None,
    *,
    history_periods: tuple[int, ...],
) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    """(assets, periods) of the runs of one job: the daily series, when it has its own
    cadence, apart from the job's other assets."""
    if history is None or PRODUCT_HISTORY not in family.assets:
        return [((), periods)]
    others = tuple(a for a in family.assets if a != PRODUCT_HISTORY)
    groups = [(others, periods)] if periods else []
    if history_periods:
        groups.append(((PRODUCT_HISTORY,), history_periods))
    return groups


def first_fetch_batches(
    entity: str,
    new_ids: Sequence[str],
    *,
    chunk_ids: int,
    max_runs: int,
    history: HistoryCadence | None = None,
) -> list[Batch]:
    """Every job of `entity`, every period, for ids just added (contiguous by construction);
    with a `history` cadence, the daily series once, over `history.first_period` days."""
    return [
        batch
        for family in families_of(entity)
        for assets, periods in _asset_periods(
            family,
            family.periods,
            history,
            history_periods=(history.first_period,) if history else (),
        )
        for batch in family_batches(
            family,
            new_ids,
            periods=periods,
            chunk_ids=chunk_ids,
            max_runs=max_runs,
            assets=assets,
        )
    ]


def cadence_batches(
    cadence: Cadence,
    ids_by_entity: Mapping[str, Sequence[str]],
    *,
    chunk_ids: int,
    max_runs: int,
    history: HistoryCadence | None = None,
    skip: Mapping[str, Collection[str]] | None = None,
) -> list[Batch]:
    """What one refresh tick launches: all tracked ids of each job the cadence covers (the
    daily series only on its own cadence, with its own period, when `history` is given), but
    the ids in `skip` (dormant): a range never spans one of them."""
    batches: list[Batch] = []
    for family in FAMILIES.values():
        order = ids_by_entity.get(family.entity, ())
        skipped = (skip or {}).get(family.entity, ())
        if family.has_period:
            periods = tuple(p for p in family.periods if p in cadence.periods)
            own = history is not None and history.cadence == cadence.name
            groups = _asset_periods(
                family, periods, history, history_periods=(history.period,) if own else ()
            )
        elif cadence.details:
            groups = [((), ())]
        else:
            continue
        for assets, group_periods in groups:
            if family.has_period and not group_periods:
                continue
            for ids in segments(order, skipped):
                batches += family_batches(
                    family,
                    ids,
                    periods=group_periods,
                    chunk_ids=chunk_ids,
                    max_runs=max_runs,
                    assets=assets,
                )
    return batches


def segments(order: Sequence[str], skip: Collection[str]) -> list[Sequence[str]]:
    """The longest contiguous slices of `order` that hold no id of `skip`."""
    if not skip:
        return [order] if order else []
    out: list[Sequence[str]] = []
    start = 0
    for index, entity_id in enumerate(order):
        if entity_id in skip:
            if index > start:
                out.append(order[start:index])
            start = index + 1
    if start < len(order):
        out.append(order[start:])
    return out


# -- pricing -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PricedBatch:
    batch: Batch
    plan: CostPlan


@dataclasses.dataclass(frozen=True)
class Launch:
    """The batches a tick launches, those the month's credits cannot cover, and the totals."""

    launched: tuple[PricedBatch, ...]
    deferred: tuple[PricedBatch, ...]
    credits_available: int

    @property
    def credits(self) -> int:
        return sum(p.plan.credits for p in self.launched)

    @property
    def deferred_credits(self) -> int:
        return sum(p.plan.credits for p in self.deferred)

    def summary(self) -> str:
        partitions = sum(p.batch.size * len(p.batch.asset_names) for p in self.launched)
        text = (
            f"{len(self.launched)} run(s), {partitions:,} asset partition(s), "
            f"{self.credits:,} credit(s) planned of {self.credits_available:,} available"
        )
        if self.deferred:
            text += (
                f"; {len(self.deferred)} batch(es) needing {self.deferred_credits:,} credit(s) "
                "NOT launched: the month's usable credits do not cover them "
                f"({', '.join(p.batch.label for p in self.deferred[:5])}"
                f"{', ...' if len(self.deferred) > 5 else ''})"
            )
        return text


def price_batches(pricing: Pricing, batches: Sequence[Batch]) -> list[PricedBatch]:
    """Each batch's cost plan, from ONE planner call (`Pricing.price`)."""
    plans = pricing.price([batch.items() for batch in batches])
    return [PricedBatch(b, plan) for b, plan in zip(batches, plans, strict=True)]


def fit_budget(priced: Sequence[PricedBatch], allowance: int | None = None) -> Launch:
    """Launch batches in order while the month's usable credits (and the day's `allowance`,
    when paced) cover them; defer the rest."""
    if not priced:
        return Launch((), (), 0)
    available = priced[0].plan.credits_available
    if allowance is not None:
        available = min(available, allowance)
    left = available
    launched: list[PricedBatch] = []
    deferred: list[PricedBatch] = []
    for p in priced:
        if p.plan.credits <= left:
            launched.append(p)
            left -= p.plan.credits
        else:
            deferred.append(p)
    return Launch(tuple(launched), tuple(deferred), available)


def launch(
    batches: Sequence[Batch],
    pricing: Pricing,
    log: logging.Logger,
    name: str,
    *,
    paced: bool,
) -> Launch:
    """The batches that fit the month's credits (`paced`: and what is left of the day's
    share; the adaptive plan gives what is deferred the burst on its next day), logged."""
    allowance = pricing.allowance(clock.today())[1] if paced else None
    launch = fit_budget(price_batches(pricing, batches), allowance)
    if allowance is not None and launch.deferred:
        launch = _fill(launch, pricing, allowance - launch.credits)
    (log.warning if launch.deferred else log.info)(f"{name}: {launch.summary()}")
    return launch


def _fill(launch: Launch, pricing: Pricing, left: int) -> Launch:
    """Launch the longest first part of each deferred batch that the day's `left` credits
    cover (bisecting its ids, priced each time): a day's new ids start their first fetch
    with what the day has left instead of all waiting for the next plan."""
    launched, deferred = list(launch.launched), []
    for p in launch.deferred:
        ids, fits = p.batch.ids, None
        low, high = 1, len(ids) - 1
        while low <= high and left > 0:
            middle = (low + high) // 2
            [part] = price_batches(pricing, [dataclasses.replace(p.batch, ids=ids[:middle])])
            if part.plan.credits <= left:
                fits, low = part, middle + 1
            else:
                high = middle - 1
        if fits is None:
            deferred.append(p)
            continue
        launched.append(fits)
        left -= fits.plan.credits
        rest = dataclasses.replace(p.batch, ids=ids[len(fits.batch.ids) :])
        deferred += price_batches(pricing, [rest])
    return Launch(tuple(launched), tuple(deferred), launch.credits_available)


# -- run requests --------------------------------------------------------------------------


def batch_request(
    batch: Batch,
    *,
    tags: Mapping[str, str],
    launched_by: str,
    position: tuple[int, int],
    run_key_suffix: str = "",
) -> RunRequest:
    """The run of one batch on its job: its range tags, who launched it, its place in its
    job, `tags`."""
    index, total = position
    run_tags = {
        RANGE_START_TAG: batch.start,
        RANGE_END_TAG: batch.end,
        LAUNCHED_BY_TAG: launched_by,
        BATCH_TAG: f"{batch.family.name} {index}/{total}",
        IDS_TAG: str(len(batch.ids)),
        **tags,
    }
    run_key = batch.label.replace(" ", ":", 1)
    if run_key_suffix:
        run_key = f"{run_key}@{run_key_suffix}"
    selection = [AssetKey(a) for a in batch.asset_names]
    return RunRequest(
        run_key=run_key,
        job_name=batch.family.name,
        tags=run_tags,
        asset_selection=selection if batch.assets else None,
    )


def numbered(batches: Sequence[Batch]) -> list[tuple[Batch, tuple[int, int]]]:
    """Each batch with its place among its job's batches: (index from 1, count)."""
    totals: dict[str, int] = {}
    for b in batches:
        totals[b.family.name] = totals.get(b.family.name, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for b in batches:
        seen[b.family.name] = seen.get(b.family.name, 0) + 1
        out.append((b, (seen[b.family.name], totals[b.family.name])))
    return out


def run_requests(
    launch: Launch,
    *,
    launched_by: str,
    run_key_suffix: str = "",
    extra_tags: dict[str, str] | None = None,
) -> list[RunRequest]:
    """One request per launched batch, numbered within its job, with the plan's tags."""
    batches = numbered([p.batch for p in launch.launched])
    return [
        batch_request(
            p.batch,
            tags={**p.plan.as_tags(), **(extra_tags or {})},
            launched_by=launched_by,
            position=position,
            run_key_suffix=run_key_suffix,
        )
        for p, (_, position) in zip(launch.launched, batches, strict=True)
    ]
