"""First fetches: what the seeding and discovery sensors' ticks decide.

`tracked_ids_tick` adds the ids of `tracked.yaml` that are not tracked yet, `discovery_tick`
the ids the feeds' new rows name (`tiktok_assets.tracking.discovery` says which); both
request the new ids' first fetch as ranged runs, priced and fitted to the month's credits
(under the adaptive policy, to what is left of the day's share: `runs.launch`). They read the
instance and the warehouse and return a `SensorResult`; they never add partitions or launch
runs themselves: the daemon applies a `SensorResult`'s partition requests, then its runs.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from pathlib import Path

from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetObservation,
    DagsterInstance,
    MetadataValue,
    SensorResult,
)

from tiktok_assets import clock
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.economy.sources import listed_products
from tiktok_assets.names import MALFORMED_IDS_KEY, REPORTED_BY_KEY
from tiktok_assets.partitions import IDS_BY_ENTITY
from tiktok_assets.refresh.projection import LISTED_PERIODS, Projection, projection
from tiktok_assets.refresh.runs import Batch, first_fetch_batches, launch, run_requests
from tiktok_assets.refresh.settings import RefreshSettings
from tiktok_assets.tracking.discovery import (
    Feed,
    Malformed,
    Selector,
    dump_cursor,
    find_ids,
    new_events,
    parse_cursor,
)
from tiktok_assets.tracking.dormancy import dormancy
from tiktok_assets.tracking.seeds import ENTITIES, read_tracked
from tiktok_assets.tracking.settings import DiscoverySettings
from tiktok_assets.tracking.tracked import tracked_ids


def _outlook(
    tracked: dict[str, list[str]],
    pricing: Pricing,
    discovery: DiscoverySettings,
    settings: RefreshSettings,
    listed: Collection[str] = (),
) -> Projection:
    """The tracked set's projected monthly refresh cost against discovery's ceiling (the
    dormant ids cost nothing: they are not refreshed)."""
    active = dormancy(pricing.engine, tracked, days=settings.dormant_days).active(tracked)
    return projection(
        {e: len(v) for e, v in active.items()},
        settings.cadences,
        usable_credits=pricing.usable_credits,
        budget_share=discovery.budget_share,
        listed=len(set(listed) & set(active.get("product", ()))),
        history=settings.history,
    )


def tracked_ids_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    path: Path,
    pricing: Pricing,
    discovery: DiscoverySettings,
    settings: RefreshSettings,
    log: logging.Logger,
    name: str = "tracked_ids_sensor",
) -> SensorResult:
    """Add the file's ids the instance lacks and request their first fetch.

    The cursor is the file's SHA-256: the tick only acts when the file changed, so ids
    untracked since (CLI, UI) come back only if the file is edited. An invalid id or key
    fails the tick with a message naming it, and nothing is added.
    """
    seeds = read_tracked(path)
    if seeds is None:
        return SensorResult(
            skip_reason=f"no tracked-ids file at {path} (set TIKTOK_TRACKED_FILE)", cursor=cursor
        )
    if cursor == seeds.digest:
        return SensorResult(skip_reason=f"{path.name} unchanged", cursor=cursor)
    tracked = tracked_ids(instance)
    adds: list[AddDynamicPartitionsRequest] = []
    batches: list[Batch] = []
    counts: list[str] = []
    for entity in ENTITIES:
        known = set(tracked[entity])
        new = [i for i in seeds.of(entity) if i not in known]
        if not new:
            continue
        adds.append(IDS_BY_ENTITY[entity].build_add_request(new))
        batches += first_fetch_batches(
            entity,
            new,
            chunk_ids=settings.chunk_ids,
            max_runs=settings.max_runs_per_job,
            history=settings.history,
        )
        tracked[entity] += new
        counts.append(f"{len(new)} {entity}(s)")
    if not adds:
        return SensorResult(
            skip_reason=f"{path.name}: all {len(seeds)} id(s) are already tracked",
            cursor=seeds.digest,
        )
    log.info(f"{name}: {path.name} adds {', '.join(counts)}")
    outlook = _outlook(tracked, pricing, discovery, settings)
    if outlook.over:
        log.warning(f"{name}: the seeds push the tracked set over the budget: {outlook.describe()}")
    launched = launch(batches, pricing, log, name, paced=settings.adaptive)
    return SensorResult(
        run_requests=run_requests(launched, launched_by=name, run_key_suffix=seeds.digest[:12]),
        dynamic_partitions_requests=adds,
        cursor=seeds.digest,
    )


def _malformed_events(malformed: Sequence[Malformed], name: str) -> list[AssetObservation]:
    """One observation per source partition listing its malformed ids (shown in the catalog)."""
    by_partition: dict[tuple[str, str | None], list[object]] = {}
    for m in malformed:
        by_partition.setdefault((m.asset, m.partition), []).append(m.value)
    return [
        AssetObservation(
            asset_key=AssetKey(asset),
            partition=partition,
            description=f"{name} skipped {len(values)} malformed id(s) in this partition's rows",
            metadata={
                MALFORMED_IDS_KEY: MetadataValue.json([repr(v) for v in values[:100]]),
                REPORTED_BY_KEY: name,
            },
        )
        for (asset, partition), values in by_partition.items()
    ]


def _listed_products(pricing: Pricing, tracked: dict[str, list[str]]) -> set[str]:
    """Products on the newest known lists of the tracked shops (their totals are derived);
    none when derivation is off for pricing."""
    if not pricing.derives or not tracked.get("shop"):
        return set()
    lists = [(shop, period) for shop in tracked["shop"] for period in LISTED_PERIODS]
    return {pid for pid, _ in listed_products(pricing.engine, lists, clock.today())}


def discovery_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    entity: str,
    feeds: Sequence[Feed],
    pricing: Pricing,
    discovery: DiscoverySettings,
    settings: RefreshSettings,
    log: logging.Logger,
    name: str,
) -> SensorResult:
    """Add the `entity` ids named by the feeds' new materializations (see `discovery`)."""
    cursors = parse_cursor(cursor)
    tracked = tracked_ids(instance)
    listed = _listed_products(pricing, tracked)
    outlook = _outlook(tracked, pricing, discovery, settings, listed=listed)
    full_cost = outlook.per_id.get(entity, 0.0)
    selector = Selector(
        tracked=set(tracked[entity]),
        cursors=cursors,
        cap=discovery.max_new_ids_per_tick,
        allowance=outlook.credits_left() if full_cost > 0 else None,
        cost_of=lambda i: outlook.listed_cost if i in listed else full_cost,
    )
    for feed in feeds:
        if selector.capped:
            break
        events = new_events(instance, feed, cursors.get(feed.asset))
        if not events:
            continue
        for found in find_ids(pricing.engine, feed, events, top_n=discovery.top_n):
            if not selector.offer(found):
                break
    report = f"{name}: {selector.describe(entity)}"
    if selector.malformed or selector.over_budget:
        log.warning(report)
        if selector.over_budget:
            log.warning(f"{name}: {outlook.describe()}")
    else:
        log.info(report)
    observations = _malformed_events(selector.malformed, name)
    new_cursor = dump_cursor(selector.cursors)
    if not selector.new_ids:
        return SensorResult(skip_reason=report, cursor=new_cursor, asset_events=observations)
    batches = first_fetch_batches(
        entity,
        selector.new_ids,
        chunk_ids=settings.chunk_ids,
        max_runs=settings.max_runs_per_job,
        history=settings.history,
    )
    launched = launch(batches, pricing, log, name, paced=settings.adaptive)
    suffix = str(max(selector.cursors.values(), default=0))
    return SensorResult(
        run_requests=run_requests(launched, launched_by=name, run_key_suffix=suffix),
        dynamic_partitions_requests=[IDS_BY_ENTITY[entity].build_add_request(selector.new_ids)],
        cursor=new_cursor,
        asset_events=observations,
    )
