"""`tiktok-assets db upgrade|current`: the warehouse's schema revision, from a shell."""

from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa


def register_db(commands: argparse._SubParsersAction) -> None:
    """Add the `db` sub-command to the project's command line."""
    parser = commands.add_parser(
        "db",
        help="show or upgrade the warehouse's schema revision (alembic)",
        description=(
            "The warehouse at TIKTOK_WAREHOUSE_URL (default: SQLite in the project's data/). "
            "Runs and sensors upgrade it on first use too; this does it on demand."
        ),
    )
    actions = parser.add_subparsers(dest="db_action", required=True)
    actions.add_parser("upgrade", help="bring the warehouse to the newest revision, rows kept")
    actions.add_parser("current", help="print the warehouse's revision and the newest one")
    parser.set_defaults(run=_run_db)


def _run_db(args: argparse.Namespace) -> int:
    from tiktok_assets.warehouse.engine import get_engine
    from tiktok_assets.warehouse.migrate import current, head_revision, upgrade
    from tiktok_assets.warehouse.resource import safe_url, warehouse_url

    url = warehouse_url()
    try:
        engine = get_engine(url)
        if args.db_action == "upgrade":
            done = upgrade(engine)
            if done.created:
                print(f"{safe_url(url)}: created every table at revision {done.after}")
            elif done.before == done.after:
                print(f"{safe_url(url)}: already at the newest revision {done.after}")
            else:
                before = done.before or "first release (unversioned)"
                print(f"{safe_url(url)}: upgraded from {before} to {done.after}")
            return 0
        revision = current(engine)
    except sa.exc.SQLAlchemyError as exc:
        first = str(exc).splitlines()[0][:300]
        print(
            f"tiktok-assets db {args.db_action}: the warehouse at {safe_url(url)} failed "
            f"({type(exc).__name__}: {first}); check TIKTOK_WAREHOUSE_URL",
            file=sys.stderr,
        )
        return 2
    head = head_revision()
    state = "up to date" if revision == head else "run `tiktok-assets db upgrade`"
    print(f"{safe_url(url)}: revision {revision or 'none'} (newest {head}: {state})")
    return 0
