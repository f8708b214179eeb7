"""`tiktok-assets refresh [--dry-run]`: today's refresh, run on the instance, or its plan.

It asks for exactly what the refresh automation asks for today (`refresh.daily.refresh_tick`,
the function the schedules call, for each cadence whose cron fires today: under the adaptive
policy, the day's plan), runs each request in this process on the instance at
`DAGSTER_HOME` (lists first, then what derives from them), waits, and prints the partitions
by source, the requests and the credits. "Today" is `TIKTOK_TODAY` when set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import sys
import zoneinfo
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tiktok_assets import clock
from tiktok_assets.cli.common import fail, open_instance, open_warehouse, settings_or_none
from tiktok_assets.names import (
    DEFERRED_CREDITS_TAG,
    DEFERRED_ROUTES_TAG,
    RANGE_START_TAG,
    SOURCE_KEY,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    from dagster import DagsterInstance, Definitions, RunRequest

    from tiktok_assets.economy.pricing import Pricing
    from tiktok_assets.refresh.settings import Cadence, RefreshSettings

NAME = "tiktok-assets refresh"
Print = Callable[[str], None]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `refresh` sub-command."""
    parser = commands.add_parser(
        "refresh",
        help="run today's refresh (what the schedules would launch) on the instance",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    parser.set_defaults(run=_run)


def fires_on(cadence: Cadence, day: dt.date) -> bool:
    """True when the cadence's cron has a tick on `day` (in its time zone)."""
    from tiktok_assets.cron import ticks

    zone = zoneinfo.ZoneInfo(cadence.timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return bool(ticks(cadence.cron, cadence.timezone, start, end))


def day_requests(
    instance: DagsterInstance, pricing: Pricing, settings: RefreshSettings, out: Print
) -> list[RunRequest]:
    """What the refresh automation requests today, in the order to run it."""
    from dagster import SkipReason

    from tiktok_assets.refresh.daily import refresh_tick

    log = logging.getLogger(NAME)
    requests: list[RunRequest] = []
    for cadence in settings.cadences:
        if not fires_on(cadence, clock.today()):
            continue
        result = refresh_tick(
            instance,
            cadence_name=cadence.name,
            pricing=pricing,
            settings=settings,
            log=log,
            name=NAME,
            lists_first=False,
        )
        if isinstance(result, SkipReason):
            out(f"{cadence.schedule_name}: {result.skip_message}")
        else:
            requests += result
    return requests


def execute(
    defs: Definitions,
    instance: DagsterInstance,
    requests: Sequence[RunRequest],
    out: Print,
    engine: sa.Engine,
) -> int:
    """Run the requests one after the other on the instance; print what they did."""
    from tiktok_assets.economy.journal import run_usage

    sources: Counter[str] = Counter()
    requests_sent = credits = failed = 0
    for request in requests:
        name = str(request.job_name)  # the refresh requests name their job
        result = defs.resolve_job_def(name).execute_in_process(
            instance=instance,
            tags=dict(request.tags),
            asset_selection=list(request.asset_selection or []) or None,
            raise_on_error=False,
        )
        label = f"{name} {request.tags.get(RANGE_START_TAG, '')}..."
        if not result.success:
            failed += 1
            out(f"FAILED {label} (run {result.run_id}): {_failure(result)}")
        for event in result.get_asset_materialization_events():
            meta = event.materialization.metadata
            sources[str(getattr(meta.get(SOURCE_KEY), "value", "api"))] += 1
        usage = run_usage(engine, result.run_id)  # the run's account, from the journal
        requests_sent += usage.requests
        credits += usage.credits
    by_source = ", ".join(f"{n:,} {s}" for s, n in sorted(sources.items())) or "none"
    out(
        f"{len(requests)} run(s), {failed} failed; partitions by source: {by_source}; "
        f"{requests_sent:,} request(s), {credits:,} credit(s)"
    )
    return 1 if failed else 0


def _failure(result: Any) -> str:
    """The first step failure's message of a run (the whole story is in the run's logs)."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            if error is not None:
                first = error.message.strip().splitlines()[0]
                return re.sub(r"^[\w.]+(Failure|Error): ", "", first)[:500]
    return "the run failed; its logs in the UI say why"


def refresh_command(
    defs: Definitions,
    instance: DagsterInstance,
    pricing: Pricing,
    settings: RefreshSettings,
    *,
    dry_run: bool,
    out: Print = print,
) -> int:
    """`tiktok-assets refresh`: exit status 0 when every run succeeded."""
    from tiktok_assets.refresh.daily import AdaptiveRefresh, daily_refresh

    refresh = daily_refresh(settings)
    if isinstance(refresh, AdaptiveRefresh) and dry_run:
        plan = refresh.plan(instance, pricing, write=False)
        out(plan.summary())
        for batch in (*plan.first, *plan.then):
            out(f"  would run {batch.label}")
        return 0
    requests = day_requests(instance, pricing, settings, out)
    _say_deferred(requests, out)
    if dry_run:
        for request in requests:
            out(f"  would run {request.run_key}")
        out(f"{len(requests)} run(s) (dry run: nothing was requested)")
        return 0
    return execute(defs, instance, requests, out, pricing.engine)


def _say_deferred(requests: Sequence[RunRequest], out: Print) -> None:
    """State what the day's plan deferred (its runs carry it in their tags), never silently."""
    tags = next((r.tags for r in requests if DEFERRED_ROUTES_TAG in r.tags), None)
    if tags and int(tags[DEFERRED_ROUTES_TAG]):
        out(
            f"{int(tags[DEFERRED_ROUTES_TAG]):,} due route(s) needing "
            f"{int(tags.get(DEFERRED_CREDITS_TAG, 0)):,} credit(s) DEFERRED to tomorrow: the "
            "day's share is spent (see the refresh_plan table)"
        )


def _run(args: argparse.Namespace) -> int:
    settings = settings_or_none("refresh")
    if settings is None:
        return 2
    from tiktok_assets.refresh.settings import refresh_settings

    try:
        refresh = refresh_settings(settings)
    except ValueError as exc:
        return fail("refresh", str(exc))
    from tiktok_assets.definitions import build_definitions
    from tiktok_assets.economy.pricing import Pricing
    from tiktok_assets.resources import credit_terms

    instance = open_instance("refresh")
    if instance is None:
        return 2
    log = logging.getLogger(NAME)  # the plan's summary and what it deferred
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stdout))
    pricing = Pricing(open_warehouse(settings).engine, credit_terms(settings))
    with instance:
        return refresh_command(
            build_definitions(settings), instance, pricing, refresh, dry_run=args.dry_run
        )
