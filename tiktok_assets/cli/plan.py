"""`tiktok-assets plan`: what materializing a selection would cost, sending nothing; without a
selection, the refresh policy's coming days, credits and routes by priority band."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from tiktok_assets.cli.common import fail, open_instance, open_warehouse, settings_or_none

if TYPE_CHECKING:
    import sqlalchemy as sa
    from dagster import DagsterInstance, Definitions

    from tiktok_assets.economy.planner import CostPlan
    from tiktok_assets.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `plan` sub-command."""
    parser = commands.add_parser(
        "plan",
        help="print the requests, free journal hits and credits a selection would cost",
        description=(
            "Plan a run or backfill without sending a request. Exits 1 when the plan does "
            "not fit in the credits left this month. Reads TIKTOK_WAREHOUSE_URL, "
            "DAGSTER_HOME (the tracked ids), TIKTOK_API_RATE_PER_MINUTE, "
            "TIKTOK_MONTHLY_CREDIT_LIMIT and TIKTOK_CREDIT_RESERVE."
        ),
    )
    parser.add_argument(
        "--select",
        help=(
            "Dagster asset selection: shop_total, group:products, 'key:product_*', ...; "
            "without it: the refresh policy's coming days, credits by priority band"
        ),
    )
    parser.add_argument(
        "--days", type=int, default=7, help="days the refresh outlook covers (default 7)"
    )
    parser.add_argument(
        "--partitions",
        help="comma-separated keys or start...end ranges ('123|30,456|7'); default: all",
    )
    parser.add_argument(
        "--force-refresh", action="store_true", help="count journal hits as paid requests"
    )
    parser.add_argument(
        "--max-age-hours",
        type=float,
        help="journal freshness as an age instead of the same UTC day",
    )
    parser.add_argument("--page-size", type=int, help="limit asked of list routes")
    parser.set_defaults(run=_run)


def plan_command(
    args: argparse.Namespace,
    *,
    defs: Definitions,
    instance: DagsterInstance,
    engine: sa.Engine,
    settings: Settings,
) -> tuple[int, CostPlan]:
    """(exit status, plan) of `tiktok-assets plan --select` against the given definitions and
    stores."""
    import dataclasses

    from tiktok_assets.economy.planner import parse_partitions, plan_selection
    from tiktok_assets.resources import credit_terms

    terms = credit_terms(settings)
    if args.page_size:
        terms = dataclasses.replace(terms, page_size=args.page_size)
    plan = plan_selection(
        defs,
        instance,
        engine,
        select=args.select,
        partitions=parse_partitions(args.partitions),
        terms=terms,
        force_refresh=args.force_refresh,
        max_age=None if args.max_age_hours is None else dt.timedelta(hours=args.max_age_hours),
    )
    return (0 if plan.fits else 1), plan


def _run(args: argparse.Namespace) -> int:
    from dagster import DagsterError

    settings = settings_or_none("plan")
    if settings is None:
        return 2
    if args.select is None:
        return _run_outlook(args, settings)
    from tiktok_assets.definitions import build_definitions

    instance = open_instance("plan")
    if instance is None:
        return 2
    try:
        with instance:
            status, plan = plan_command(
                args,
                defs=build_definitions(settings),
                instance=instance,
                engine=open_warehouse(settings).engine,
                settings=settings,
            )
    except (ValueError, DagsterError) as exc:
        return fail("plan", str(exc))
    print(plan.to_table())
    return status


def _run_outlook(args: argparse.Namespace, settings: Settings) -> int:
    """`tiktok-assets plan` without `--select`: the adaptive policy's coming days."""
    import dataclasses

    from dagster import DagsterError

    from tiktok_assets import clock
    from tiktok_assets.economy.pricing import Pricing
    from tiktok_assets.refresh.plan import outlook, outlook_table
    from tiktok_assets.refresh.settings import refresh_settings
    from tiktok_assets.resources import credit_terms
    from tiktok_assets.tracking.tracked import tracked_ids

    if args.days < 1:
        return fail("plan", "--days must be 1 or more")
    terms = credit_terms(settings)
    if args.page_size:
        terms = dataclasses.replace(terms, page_size=args.page_size)
    warehouse = open_warehouse(settings)
    refresh = refresh_settings(settings)
    instance = open_instance("plan")
    if instance is None:
        return 2
    try:
        with instance:
            days, asleep = outlook(
                warehouse.engine,
                tracked_ids(instance),
                pricing=Pricing(warehouse.engine, terms),
                settings=refresh,
                today=clock.today(),
                days=args.days,
            )
    except (ValueError, DagsterError) as exc:
        return fail("plan", str(exc))
    if not refresh.adaptive:
        print(
            "TIKTOK_REFRESH_POLICY=uniform: the schedules follow their cadences; this is what "
            "the adaptive policy would do instead"
        )
    print(outlook_table(days, asleep))
    return 0
