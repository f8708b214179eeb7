"""What one tick of each tracking sensor and refresh schedule decides.

These functions read the instance and the warehouse and return what the tick asks for
(`SensorResult`, run requests or a skip reason); they never add partitions or launch runs
themselves: the daemon applies a `SensorResult`'s partition requests, then its runs.
`tiktok_assets.sensors` and `tiktok_assets.schedules` are the thin Dagster wrappers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    RunsFilter,
    SensorResult,
    SkipReason,
)

from tiktok_assets import clock
from tiktok_assets.economy.sources import SOURCES_OF, listed_products
from tiktok_assets.jobs import JobFamily
from tiktok_assets.partitions import IDS_BY_ENTITY
from tiktok_assets.refresh import pacing
from tiktok_assets.refresh.plan import (
    DAY_TAG,
    DEFERRED_CREDITS_TAG,
    DEFERRED_ROUTES_TAG,
    PLAN_TAG,
    PLANNED_CREDITS_TAG,
    POLICY_TAG,
    DayPlan,
    batches_of,
    credits_by_batch,
    plan_day,
    planned_credits,
    planned_later,
)
from tiktok_assets.refresh.plan import run_requests as plan_run_requests
from tiktok_assets.refresh.requests import DAY_KEY, REFRESH_REQUESTS, REQUESTS_KEY
from tiktok_assets.tracking.batches import (
    BATCH_TAG,
    LAUNCHED_BY_TAG,
    Batch,
    Launch,
    Pricing,
    cadence_batches,
    first_fetch_batches,
    fit_budget,
    run_requests,
)
from tiktok_assets.tracking.budget import LISTED_PERIODS, projection
from tiktok_assets.tracking.discovery import (
    Feed,
    Malformed,
    Selector,
    dump_cursor,
    find_ids,
    new_events,
    parse_cursor,
)
from tiktok_assets.tracking.seeds import ENTITIES, read_tracked
from tiktok_assets.tracking.settings import TrackingSettings

PLAN_TAGS = (DAY_TAG, PLAN_TAG, POLICY_TAG, DEFERRED_ROUTES_TAG, DEFERRED_CREDITS_TAG)

MALFORMED_METADATA_KEY = "tiktok/malformed_ids"


def tracked_ids(instance: DagsterInstance) -> dict[str, list[str]]:
    """Every tracked id per entity, in the order added."""
    return {e: list(instance.get_dynamic_partitions(IDS_BY_ENTITY[e].name)) for e in ENTITIES}


def _launch(
    batches: Sequence[Batch],
    pricing: Pricing,
    log: logging.Logger,
    name: str,
    *,
    paced: bool = False,
) -> Launch:
    """The batches that fit the month's credits (`paced`: and what is left of the day's
    share; the adaptive plan gives what is deferred the burst on its next day)."""
    allowance = None
    if paced:
        allowance = pacing.allowance(pricing.engine, pricing.usable_credits, clock.today())[1]
    launch = fit_budget(pricing.price(batches), allowance)
    if allowance is not None and launch.deferred:
        launch = _fill(launch, pricing, allowance - launch.credits)
    if launch.deferred:
        log.warning(f"{name}: {launch.summary()}")
    else:
        log.info(f"{name}: {launch.summary()}")
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
            [part] = pricing.price([dataclasses.replace(p.batch, ids=ids[:middle])])
            if part.plan.credits <= left:
                fits, low = part, middle + 1
            else:
                high = middle - 1
        if fits is None:
            deferred.append(p)
            continue
        launched.append(fits)
        left -= fits.plan.credits
        [rest] = pricing.price([dataclasses.replace(p.batch, ids=ids[len(fits.batch.ids) :])])
        deferred.append(rest)
    return Launch(tuple(launched), tuple(deferred), launch.credits_available)


def tracked_ids_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    path: Path,
    pricing: Pricing,
    settings: TrackingSettings,
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
    outlook = projection(
        {e: len(v) for e, v in tracked.items()},
        settings.cadences,
        usable_credits=pricing.usable_credits,
        budget_share=settings.budget_share,
        history=settings.history,
    )
    if outlook.over:
        log.warning(f"{name}: the seeds push the tracked set over the budget: {outlook.describe()}")
    launch = _launch(batches, pricing, log, name, paced=settings.adaptive)
    return SensorResult(
        run_requests=run_requests(launch, launched_by=name, run_key_suffix=seeds.digest[:12]),
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
                MALFORMED_METADATA_KEY: MetadataValue.json([repr(v) for v in values[:100]]),
                "tiktok/reported_by": name,
            },
        )
        for (asset, partition), values in by_partition.items()
    ]


def discovery_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    entity: str,
    feeds: Sequence[Feed],
    pricing: Pricing,
    settings: TrackingSettings,
    log: logging.Logger,
    name: str,
) -> SensorResult:
    """Add the `entity` ids named by the feeds' new materializations (see `discovery`)."""
    cursors = parse_cursor(cursor)
    tracked = tracked_ids(instance)
    listed = _listed_products(pricing, tracked)
    outlook = projection(
        {e: len(v) for e, v in tracked.items()},
        settings.cadences,
        usable_credits=pricing.usable_credits,
        budget_share=settings.budget_share,
        listed=len(listed & set(tracked["product"])),
        history=settings.history,
    )
    full_cost = outlook.per_id.get(entity, 0.0)
    selector = Selector(
        tracked=set(tracked[entity]),
        cursors=cursors,
        cap=settings.max_new_ids_per_tick,
        allowance=outlook.credits_left() if full_cost > 0 else None,
        cost_of=lambda i: outlook.listed_cost if i in listed else full_cost,
    )
    for feed in feeds:
        if selector.capped:
            break
        events = new_events(instance, feed, cursors.get(feed.asset))
        if not events:
            continue
        for found in find_ids(pricing.engine, feed, events, top_n=settings.top_n):
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
    launch = _launch(batches, pricing, log, name, paced=settings.adaptive)
    suffix = str(max(selector.cursors.values(), default=0))
    return SensorResult(
        run_requests=run_requests(launch, launched_by=name, run_key_suffix=suffix),
        dynamic_partitions_requests=[IDS_BY_ENTITY[entity].build_add_request(selector.new_ids)],
        cursor=new_cursor,
        asset_events=observations,
    )


def derives_from_lists(family: JobFamily) -> bool:
    """True for the jobs whose partitions the day's shop lists can answer (product totals)."""
    return any(asset in SOURCES_OF for asset in family.assets)


LISTS_JOB = "shop_period_job"
"""The job that fetches the shop lists (`shop_products`) the product totals derive from."""


def fetches_lists(batch: Batch) -> bool:
    return batch.family.name == LISTS_JOB


def _listed_products(pricing: Pricing, tracked: dict[str, list[str]]) -> set[str]:
    """Products on the newest known lists of the tracked shops (their totals are derived);
    none when derivation is off for pricing."""
    if pricing.reconcile_sample is None or not tracked.get("shop"):
        return set()
    lists = [(shop, period) for shop in tracked["shop"] for period in LISTED_PERIODS]
    return {pid for pid, _ in listed_products(pricing.engine, lists, clock.today())}


def refresh_tick(
    instance: DagsterInstance,
    *,
    cadence_name: str,
    pricing: Pricing,
    settings: TrackingSettings,
    log: logging.Logger,
    name: str,
    lists_first: bool = True,
) -> list[RunRequest] | SkipReason:
    """Every tracked id of the jobs the cadence covers, as a few ranged runs that fit the budget
    (under `TIKTOK_REFRESH_POLICY=adaptive`: the day's plan, see `_adaptive_tick`).

    Lists first: when the tick fetches shop lists, the runs of the jobs those lists can answer
    (`product_period_job`) are left to `derived_refresh_sensor`, which launches them once the
    tick's runs have finished, so that their totals are derived from today's lists instead of
    paid. They are priced with the lists (and the budget kept for them) all the same.
    """
    if settings.adaptive:
        return _adaptive_tick(
            instance,
            cadence_name=cadence_name,
            pricing=pricing,
            settings=settings,
            log=log,
            name=name,
            lists_first=lists_first,
        )
    cadence = settings.cadence(cadence_name)
    batches = cadence_batches(
        cadence,
        tracked_ids(instance),
        chunk_ids=settings.chunk_ids,
        max_runs=settings.max_runs_per_job,
        history=settings.history,
    )
    if not batches:
        return SkipReason(f"{name}: nothing to refresh (no tracked ids for its jobs)")
    launch = _launch(batches, pricing, log, name)
    if not launch.launched:
        return SkipReason(f"{name}: {launch.summary()}")
    later = lists_first and any(fetches_lists(p.batch) for p in launch.launched)
    now = Launch(
        tuple(p for p in launch.launched if not (later and derives_from_lists(p.batch.family))),
        launch.deferred,
        launch.credits_available,
    )
    if later:
        log.info(
            f"{name}: {len(launch.launched) - len(now.launched)} run(s) of product totals wait "
            "for this tick's list runs (derived_refresh_sensor launches them after)"
        )
    return run_requests(now, launched_by=name, extra_tags={DAY_TAG: clock.today().isoformat()})


def idle_cadence(settings: TrackingSettings, cadence_name: str, name: str) -> SkipReason | None:
    """Why a cadence has nothing of its own to refresh under the policy, if it has not: under
    `adaptive` the daily plan covers every route, whatever its period."""
    if settings.adaptive and cadence_name != "daily":
        return SkipReason(
            f"{name}: TIKTOK_REFRESH_POLICY=adaptive: the daily refresh plans every route, "
            "whatever its period (set TIKTOK_REFRESH_POLICY=uniform for the fixed cadences)"
        )
    return None


def _adaptive_tick(
    instance: DagsterInstance,
    *,
    cadence_name: str,
    pricing: Pricing,
    settings: TrackingSettings,
    log: logging.Logger,
    name: str,
    lists_first: bool,
) -> list[RunRequest] | SkipReason:
    """The adaptive policy's refresh of the day: the daily schedule plans every route (the
    other cadences have nothing of their own to do)."""
    idle = idle_cadence(settings, cadence_name, name)
    if idle is not None:
        return idle
    plan = day_plan(instance, pricing=pricing, settings=settings)
    (log.warning if plan.deferred else log.info)(f"{name}: {plan.summary()}")
    batches = [*plan.first, *(() if lists_first and plan.first else plan.then)]
    if not batches:
        return SkipReason(f"{name}: {plan.summary()}")
    return plan_run_requests(
        batches,
        tags=plan.tags(),
        launched_by=name,
        planned=planned_credits(plan, batches),
    )


def day_plan(
    instance: DagsterInstance, *, pricing: Pricing, settings: TrackingSettings, write: bool = True
) -> DayPlan:
    """The adaptive plan of today for every tracked id (recorded in `refresh_plan`)."""
    return plan_day(
        pricing.engine,
        tracked_ids(instance),
        pricing=pricing,
        settings=settings,
        today=clock.today(),
        write=write,
    )


def _later_of_plan(
    instance: DagsterInstance,
    pricing: Pricing,
    settings: TrackingSettings,
    tags: dict[str, str],
    name: str,
) -> list[RunRequest]:
    """The runs of the plan (its day in `tags`) that waited for the day's lists."""
    later = planned_later(pricing.engine, dt.date.fromisoformat(tags[PLAN_TAG]))
    routes = {asset: set(by_route) for asset, by_route in later.items()}
    batches = batches_of(routes, tracked_ids(instance), settings)
    credits = {(r.asset, r.key): c for by_route in later.values() for r, c in by_route.items()}
    return plan_run_requests(
        batches, tags=tags, launched_by=name, planned=credits_by_batch(credits, batches)
    )


def derived_refresh_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    pricing: Pricing,
    settings: TrackingSettings,
    log: logging.Logger,
    name: str = "derived_refresh_sensor",
) -> SensorResult:
    """After a refresh schedule's runs of the day have all finished, launch the product-total
    runs it left for later (once per cadence and day; the cursor remembers the day)."""
    today = clock.today().isoformat()
    done: dict[str, str] = json.loads(cursor) if cursor else {}
    requests: list[RunRequest] = []
    waiting: list[str] = []
    for cadence in settings.cadences:
        if done.get(cadence.name) == today:
            continue
        records = instance.get_run_records(
            RunsFilter(tags={LAUNCHED_BY_TAG: cadence.schedule_name, DAY_TAG: today})
        )
        if not any(r.dagster_run.tags.get(BATCH_TAG, "").startswith(LISTS_JOB) for r in records):
            continue  # no list runs today: the schedule launched its totals itself, or did not tick
        unfinished = [r for r in records if not r.dagster_run.is_finished]
        if unfinished:
            waiting.append(f"{cadence.schedule_name} ({len(unfinished)} run(s) still going)")
            continue
        plan_tags = {k: v for k, v in records[0].dagster_run.tags.items() if k in PLAN_TAGS}
        if PLAN_TAG in plan_tags:  # the adaptive plan's routes that wait for the lists
            done[cadence.name] = today
            requests += _later_of_plan(instance, pricing, settings, plan_tags, name)
            continue
        batches = [
            b
            for b in cadence_batches(
                cadence,
                tracked_ids(instance),
                chunk_ids=settings.chunk_ids,
                max_runs=settings.max_runs_per_job,
                history=settings.history,
            )
            if derives_from_lists(b.family)
        ]
        done[cadence.name] = today
        if not batches:
            continue
        launch = _launch(batches, pricing, log, name)
        requests += run_requests(
            launch,
            launched_by=name,
            run_key_suffix=f"{cadence.name}@{today}",
            extra_tags={DAY_TAG: today},
        )
    new_cursor = json.dumps(done, sort_keys=True)
    if not requests:
        reason = f"{name}: waiting for {', '.join(waiting)}" if waiting else f"{name}: nothing due"
        return SensorResult(skip_reason=reason, cursor=new_cursor)
    return SensorResult(run_requests=requests, cursor=new_cursor)


# -- the refresh schedules' hand-off (`tiktok_assets.refresh.requests`) ----------------------

REQUESTS_RUN_TAG = "tiktok/refresh_requests_run"
"""On a refresh run: the `refresh_requests` run that recorded it."""


def request_as_json(request: RunRequest) -> dict[str, Any]:
    """A ranged run request as recorded in a `refresh_requests` materialization."""
    return {
        "job": request.job_name,
        "assets": [key.to_user_string() for key in request.asset_selection or []],
        "tags": dict(request.tags),
        "run_key": request.run_key,
    }


def request_from_json(data: Mapping[str, Any], recorded_by: str) -> RunRequest:
    """The run request `request_as_json` recorded, keyed by the recording run (`recorded_by`):
    a refresh recorded twice launches twice, each once."""
    assets = [AssetKey.from_user_string(a) for a in data["assets"]]
    return RunRequest(
        run_key=f"{data['run_key']}#{recorded_by}",
        job_name=data["job"],
        asset_selection=assets or None,
        tags={**data["tags"], REQUESTS_RUN_TAG: recorded_by},
    )


def requested_refresh(
    instance: DagsterInstance,
    *,
    cadence_name: str,
    pricing: Pricing,
    settings: TrackingSettings,
    log: logging.Logger,
    run_id: str,
) -> MaterializeResult:
    """A `refresh_requests` materialization: the cadence's runs of today (`refresh_tick`,
    named after its schedule), for `refresh_launch_sensor` to launch."""
    name = settings.cadence(cadence_name).schedule_name
    outcome = refresh_tick(
        instance, cadence_name=cadence_name, pricing=pricing, settings=settings, log=log, name=name
    )
    if isinstance(outcome, SkipReason):
        requests: list[RunRequest] = []
        summary = outcome.skip_message or f"{name}: nothing to refresh"
    else:
        requests = outcome
        summary = f"{name}: {len(requests)} run(s) for refresh_launch_sensor to launch"
    log.info(f"{summary} (recorded by run {run_id})")
    by_job = Counter(r.job_name for r in requests)
    tags = requests[0].tags if requests else {}
    return MaterializeResult(
        metadata={
            DAY_KEY: clock.today().isoformat(),
            "summary": summary,
            "runs": len(requests),
            "runs_by_job": MetadataValue.json(dict(by_job)),
            "planned_credits": sum(int(r.tags.get(PLANNED_CREDITS_TAG, 0)) for r in requests),
            "deferred_routes": int(tags.get(DEFERRED_ROUTES_TAG, 0)),
            "deferred_credits": int(tags.get(DEFERRED_CREDITS_TAG, 0)),
            REQUESTS_KEY: MetadataValue.json([request_as_json(r) for r in requests]),
        }
    )


RECORDS_PER_TICK = 50
"""`refresh_requests` materializations a launch tick reads: a sensor started on a long history
catches up 50 a tick (one a cadence and day)."""


def launch_refresh_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    log: logging.Logger,
    name: str = "refresh_launch_sensor",
) -> SensorResult:
    """Launch the runs of each new `refresh_requests` materialization of today (the cursor is
    the last one read). A recording of an earlier day is not launched: its day and its credits
    are gone, and the next schedule tick plans again."""
    after = int(cursor) if cursor else None
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(REFRESH_REQUESTS), after_storage_id=after),
        limit=RECORDS_PER_TICK,
        ascending=True,
    ).records
    today = clock.today().isoformat()
    requests: list[RunRequest] = []
    stale: list[str] = []
    unreadable: list[str] = []
    for record in records:
        after = record.storage_id
        materialization = record.asset_materialization
        if materialization is None:
            continue
        metadata = materialization.metadata
        day = str(getattr(metadata.get(DAY_KEY), "value", ""))
        recorded = getattr(metadata.get(REQUESTS_KEY), "value", None) or []
        if day != today:
            if recorded:
                stale.append(f"{materialization.partition} of {day or 'an unknown day'}")
            continue
        try:
            requests += [request_from_json(r, record.run_id) for r in recorded]
        except (KeyError, TypeError, ValueError) as exc:
            unreadable.append(
                f"{materialization.partition} recorded by run {record.run_id or '(none)'} "
                f"({type(exc).__name__}: {exc})"
            )
    if unreadable:
        log.error(
            f"{name}: not launched, requests unreadable: {'; '.join(unreadable)}; a recording "
            "is written by a refresh_requests run: materialize it again"
        )
    new_cursor = None if after is None else str(after)
    note = ""
    if stale:
        named = ", ".join(stale[-3:]) + (f" and {len(stale) - 3} older" if len(stale) > 3 else "")
        note = (
            f"; not launched, recorded for an earlier day: {named} (today is {today}; "
            "materialize refresh_requests again to refresh today)"
        )
        log.warning(f"{name}{note}")
    if not requests:
        return SensorResult(skip_reason=f"{name}: no new refresh requests{note}", cursor=new_cursor)
    log.info(f"{name}: launching {len(requests)} refresh run(s)")
    return SensorResult(run_requests=requests, cursor=new_cursor)
