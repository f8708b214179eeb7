"""The day's refresh: what a refresh schedule's tick asks for, and what waits for its lists.

`TIKTOK_REFRESH_POLICY` is read here, once: `daily_refresh(settings)` is the policy's
refresh, `AdaptiveRefresh` (the day's plan of every route, `refresh.plan`) or
`UniformRefresh` (every tracked id of the cadence's periods). Both go *lists first*: when a
tick fetches shop lists, the runs of the product totals those lists answer are left for
`derived_refresh_tick`, which launches them once the tick's runs have finished, so that their
totals are derived from today's lists instead of paid.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping

from dagster import DagsterInstance, RunRequest, RunsFilter, SensorResult, SkipReason

from tiktok_assets import clock
from tiktok_assets.catalog import SOURCES_OF
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.jobs import JobFamily
from tiktok_assets.names import (
    BATCH_TAG,
    DAY_TAG,
    DEFERRED_CREDITS_TAG,
    DEFERRED_ROUTES_TAG,
    LAUNCHED_BY_TAG,
    PLAN_TAG,
    POLICY_TAG,
)
from tiktok_assets.refresh.plan import (
    DayPlan,
    batches_of,
    credits_by_batch,
    plan_day,
    planned_credits,
    planned_later,
)
from tiktok_assets.refresh.plan import run_requests as plan_run_requests
from tiktok_assets.refresh.runs import Batch, Launch, cadence_batches, launch, run_requests
from tiktok_assets.refresh.settings import Cadence, RefreshSettings
from tiktok_assets.refresh.shops import candidate_routes
from tiktok_assets.tracking.dormancy import dormancy
from tiktok_assets.tracking.tracked import tracked_ids

PLAN_TAGS = (DAY_TAG, PLAN_TAG, POLICY_TAG, DEFERRED_ROUTES_TAG, DEFERRED_CREDITS_TAG)
"""The tags every run of an adaptive plan carries, and its later runs inherit."""

LISTS_JOB = "shop_period_job"
"""The job that fetches the shop lists (`shop_products`) the product totals derive from."""


def derives_from_lists(family: JobFamily) -> bool:
    """True for the jobs whose partitions the day's shop lists can answer (product totals)."""
    return any(asset in SOURCES_OF for asset in family.assets)


def fetches_lists(batch: Batch) -> bool:
    return batch.family.name == LISTS_JOB


@dataclasses.dataclass(frozen=True)
class UniformRefresh:
    """`TIKTOK_REFRESH_POLICY=uniform`: each cadence refreshes every tracked id of its periods
    (and the profiles, on the details cadence), within the month's credits."""

    settings: RefreshSettings

    def idle(self, cadence_name: str, name: str) -> SkipReason | None:
        """Why the cadence has nothing to refresh under the policy, if it has not: never."""
        return None

    def _batches(
        self, cadence: Cadence, instance: DagsterInstance, pricing: Pricing
    ) -> list[Batch]:
        s = self.settings
        tracked = tracked_ids(instance)
        asleep = dormancy(pricing.engine, tracked, days=s.dormant_days)
        return cadence_batches(
            cadence,
            tracked,
            chunk_ids=s.chunk_ids,
            max_runs=s.max_runs_per_job,
            history=s.history,
            skip={"shop": asleep.shops, "product": asleep.products},
        )

    def runs(
        self,
        instance: DagsterInstance,
        *,
        cadence_name: str,
        pricing: Pricing,
        log: logging.Logger,
        name: str,
        lists_first: bool,
    ) -> list[RunRequest] | SkipReason:
        """Every tracked id of the jobs the cadence covers, as a few ranged runs that fit the
        month's credits (the totals the lists answer priced with them, but left for later)."""
        batches = self._batches(self.settings.cadence(cadence_name), instance, pricing)
        if not batches:
            return SkipReason(f"{name}: nothing to refresh (no tracked ids for its jobs)")
        launched = launch(batches, pricing, log, name, paced=False)
        if not launched.launched:
            return SkipReason(f"{name}: {launched.summary()}")
        later = lists_first and any(fetches_lists(p.batch) for p in launched.launched)
        now = Launch(
            tuple(
                p for p in launched.launched if not (later and derives_from_lists(p.batch.family))
            ),
            launched.deferred,
            launched.credits_available,
        )
        if later:
            log.info(
                f"{name}: {len(launched.launched) - len(now.launched)} run(s) of product totals "
                "wait for this tick's list runs (derived_refresh_sensor launches them after)"
            )
        today = clock.today().isoformat()
        return run_requests(now, launched_by=name, extra_tags={DAY_TAG: today})

    def later(
        self,
        instance: DagsterInstance,
        *,
        cadence: Cadence,
        pricing: Pricing,
        log: logging.Logger,
        name: str,
    ) -> list[RunRequest]:
        """The cadence's runs of product totals that waited for its lists."""
        batches = [
            b for b in self._batches(cadence, instance, pricing) if derives_from_lists(b.family)
        ]
        if not batches:
            return []
        launched = launch(batches, pricing, log, name, paced=False)
        today = clock.today().isoformat()
        return run_requests(
            launched,
            launched_by=name,
            run_key_suffix=f"{cadence.name}@{today}",
            extra_tags={DAY_TAG: today},
        )


@dataclasses.dataclass(frozen=True)
class AdaptiveRefresh:
    """`TIKTOK_REFRESH_POLICY=adaptive`: the daily schedule runs the day's plan of every
    route, whatever its period; the other cadences have nothing of their own to do."""

    settings: RefreshSettings

    def idle(self, cadence_name: str, name: str) -> SkipReason | None:
        """Why the cadence has nothing to refresh: every cadence but the daily one."""
        if cadence_name != "daily":
            return SkipReason(
                f"{name}: TIKTOK_REFRESH_POLICY=adaptive: the daily refresh plans every route, "
                "whatever its period (set TIKTOK_REFRESH_POLICY=uniform for the fixed cadences)"
            )
        return None

    def plan(self, instance: DagsterInstance, pricing: Pricing, *, write: bool = True) -> DayPlan:
        """The plan of today for every tracked id (recorded in `refresh_plan` when `write`),
        the candidate shops' first fetches weighed among its routes."""
        tracked = tracked_ids(instance)
        candidates = (
            candidate_routes(pricing.engine, set(tracked["shop"]), pricing.terms.page_size)
            if self.settings.discover_shops
            else []
        )
        return plan_day(
            pricing.engine,
            tracked,
            pricing=pricing,
            settings=self.settings,
            today=clock.today(),
            write=write,
            candidates=candidates,
        )

    def runs(
        self,
        instance: DagsterInstance,
        *,
        cadence_name: str,
        pricing: Pricing,
        log: logging.Logger,
        name: str,
        lists_first: bool,
    ) -> list[RunRequest] | SkipReason:
        """The runs of the day's plan (those that derive from its lists wait for them)."""
        idle = self.idle(cadence_name, name)
        if idle is not None:
            return idle
        plan = self.plan(instance, pricing)
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

    def later(
        self, instance: DagsterInstance, *, tags: Mapping[str, str], pricing: Pricing, name: str
    ) -> list[RunRequest]:
        """The runs of the plan (its day in `tags`) that waited for the day's lists."""
        later = planned_later(pricing.engine, dt.date.fromisoformat(tags[PLAN_TAG]))
        routes = {asset: set(by_route) for asset, by_route in later.items()}
        batches = batches_of(routes, tracked_ids(instance), self.settings)
        credits = {(r.asset, r.key): c for by_route in later.values() for r, c in by_route.items()}
        return plan_run_requests(
            batches, tags=tags, launched_by=name, planned=credits_by_batch(credits, batches)
        )


def daily_refresh(settings: RefreshSettings) -> AdaptiveRefresh | UniformRefresh:
    """The refresh of the policy `TIKTOK_REFRESH_POLICY` names."""
    return AdaptiveRefresh(settings) if settings.adaptive else UniformRefresh(settings)


def refresh_tick(
    instance: DagsterInstance,
    *,
    cadence_name: str,
    pricing: Pricing,
    settings: RefreshSettings,
    log: logging.Logger,
    name: str,
    lists_first: bool = True,
) -> list[RunRequest] | SkipReason:
    """What one cadence's refresh asks for today, under the configured policy."""
    return daily_refresh(settings).runs(
        instance,
        cadence_name=cadence_name,
        pricing=pricing,
        log=log,
        name=name,
        lists_first=lists_first,
    )


def derived_refresh_tick(
    instance: DagsterInstance,
    cursor: str | None,
    *,
    pricing: Pricing,
    settings: RefreshSettings,
    log: logging.Logger,
    name: str = "derived_refresh_sensor",
) -> SensorResult:
    """After a refresh schedule's runs of the day have all finished, launch the product-total
    runs it left for later (once per cadence and day; the cursor remembers the day). The runs'
    tags say which policy made them: an adaptive plan's, or the uniform cadence's."""
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
        done[cadence.name] = today
        plan_tags = {k: v for k, v in records[0].dagster_run.tags.items() if k in PLAN_TAGS}
        if PLAN_TAG in plan_tags:
            requests += AdaptiveRefresh(settings).later(
                instance, tags=plan_tags, pricing=pricing, name=name
            )
        else:
            requests += UniformRefresh(settings).later(
                instance, cadence=cadence, pricing=pricing, log=log, name=name
            )
    new_cursor = json.dumps(done, sort_keys=True)
    if not requests:
        reason = f"{name}: waiting for {', '.join(waiting)}" if waiting else f"{name}: nothing due"
        return SensorResult(skip_reason=reason, cursor=new_cursor)
    return SensorResult(run_requests=requests, cursor=new_cursor)
