"""`tiktok-assets instance prune --keep-days N`: delete old runs and their events from the
Dagster instance at `DAGSTER_HOME` (see `tiktok_assets.housekeeping`), for a cron or a schedule.

    tiktok-assets instance prune --keep-days 90 [--dry-run]

Exit codes: 0 done; 2 a bad `--keep-days` or an instance that cannot be opened (nothing deleted).
"""

from __future__ import annotations

import argparse

from tiktok_assets.cli.common import BAD_INPUT, fail, open_instance


def _prune(args: argparse.Namespace) -> int:
    from tiktok_assets.housekeeping import InvalidKeepDays, cutoff_for, parse_keep_days, prune_runs

    try:
        keep_days = parse_keep_days(args.keep_days)
    except InvalidKeepDays as exc:
        return fail("instance prune", str(exc))
    instance = open_instance("instance prune")
    if instance is None:
        return BAD_INPUT
    with instance:
        report = prune_runs(instance, before=cutoff_for(keep_days), dry_run=args.dry_run)
    print(report.summary())
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `instance prune`."""
    instance = commands.add_parser("instance", help="housekeeping of the Dagster instance")
    actions = instance.add_subparsers(dest="instance_command", required=True)
    prune = actions.add_parser(
        "prune",
        help="delete finished runs older than N days and their events (never the warehouse)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    prune.add_argument(
        "--keep-days",
        required=True,
        metavar="N",
        help="keep the runs of the last N days (a whole number, 1 or more)",
    )
    prune.add_argument("--dry-run", action="store_true", help="report, delete nothing")
    prune.set_defaults(run=_prune)
