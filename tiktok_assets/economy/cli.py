"""`tiktok-assets plan`: print what materializing a selection would cost, sending nothing."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dagster import DagsterError, DagsterInstance, Definitions

from tiktok_assets.economy.budget import budget_settings_from_env
from tiktok_assets.economy.planner import CostPlan, parse_partitions, plan_selection
from tiktok_assets.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from tiktok_assets.warehouse.resource import Warehouse

DEFAULT_PAGE_SIZE = 50


def register_plan(commands: argparse._SubParsersAction) -> None:
    """Add the `plan` sub-command to the project's command line."""
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
    parser.set_defaults(run=_run_plan)


def plan_command(
    args: argparse.Namespace, *, defs: Definitions, instance: DagsterInstance, engine: sa.Engine
) -> tuple[int, CostPlan]:
    """(exit status, plan) of `tiktok-assets plan` against the given definitions and stores."""
    settings = get_settings()
    budget = budget_settings_from_env(settings)
    api = (defs.resources or {}).get("api")
    page_size = args.page_size or getattr(api, "page_size", None) or DEFAULT_PAGE_SIZE
    plan = plan_selection(
        defs,
        instance,
        engine,
        select=args.select,
        partitions=parse_partitions(args.partitions),
        page_size=int(page_size),
        rate_per_minute=settings.tiktok_api_rate_per_minute,
        monthly_credit_limit=budget.monthly_credit_limit,
        credit_reserve=budget.credit_reserve,
        force_refresh=args.force_refresh,
        max_age=None if args.max_age_hours is None else dt.timedelta(hours=args.max_age_hours),
        reconcile_sample=settings.tiktok_reconcile_sample,
    )
    return (0 if plan.fits else 1), plan


def _dagster_home(settings: Settings) -> Path:
    from tiktok_assets.warehouse.resource import project_root

    return settings.dagster_home or project_root() / "dagster_home"


def _run_plan(args: argparse.Namespace) -> int:
    from tiktok_assets.definitions import defs
    from tiktok_assets.warehouse.resource import Warehouse, default_url

    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"tiktok-assets plan: {exc}", file=sys.stderr)
        return 2
    warehouse = Warehouse(url=settings.tiktok_warehouse_url or default_url())
    if args.select is None:
        return _run_outlook(args, settings, warehouse)
    try:
        with DagsterInstance.from_config(str(_dagster_home(settings))) as instance:
            status, plan = plan_command(args, defs=defs, instance=instance, engine=warehouse.engine)
    except (ValueError, DagsterError) as exc:
        print(f"tiktok-assets plan: {exc}", file=sys.stderr)
        return 2
    print(plan.to_table())
    return status


def _run_outlook(args: argparse.Namespace, settings: Settings, warehouse: Warehouse) -> int:
    """`tiktok-assets plan` without `--select`: the adaptive policy's coming days."""
    from tiktok_assets import clock
    from tiktok_assets.refresh.plan import outlook, outlook_table
    from tiktok_assets.tracking.batches import Pricing
    from tiktok_assets.tracking.settings import settings_from_env
    from tiktok_assets.tracking.ticks import tracked_ids

    if args.days < 1:
        print("tiktok-assets plan: --days must be 1 or more", file=sys.stderr)
        return 2
    budget = budget_settings_from_env(settings)
    pricing = Pricing(
        engine=warehouse.engine,
        page_size=args.page_size or DEFAULT_PAGE_SIZE,
        rate_per_minute=settings.tiktok_api_rate_per_minute,
        monthly_credit_limit=budget.monthly_credit_limit,
        credit_reserve=budget.credit_reserve,
        reconcile_sample=settings.tiktok_reconcile_sample,
    )
    tracking = settings_from_env(settings)
    try:
        with DagsterInstance.from_config(str(_dagster_home(settings))) as instance:
            days = outlook(
                warehouse.engine,
                tracked_ids(instance),
                pricing=pricing,
                settings=tracking,
                today=clock.today(),
                days=args.days,
            )
    except (ValueError, DagsterError) as exc:
        print(f"tiktok-assets plan: {exc}", file=sys.stderr)
        return 2
    if not tracking.adaptive:
        print(
            "TIKTOK_REFRESH_POLICY=uniform: the schedules follow their cadences; this is what "
            "the adaptive policy would do instead"
        )
    print(outlook_table(days))
    return 0
