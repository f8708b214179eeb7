"""`tiktok-assets db upgrade|current`: the warehouse's schema revision, from a shell."""

from __future__ import annotations

import argparse

from tiktok_assets.cli.common import fail, open_warehouse, settings_or_none


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `db` sub-command."""
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
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from tiktok_assets.warehouse.engine import get_engine
    from tiktok_assets.warehouse.migrate import current, head_revision, upgrade
    from tiktok_assets.warehouse.resource import safe_url

    command = f"db {args.db_action}"
    settings = settings_or_none(command)
    if settings is None:
        return 2
    warehouse = open_warehouse(settings)
    url = safe_url(warehouse.url)
    try:
        engine = get_engine(warehouse.url)  # not `warehouse.engine`, which would upgrade it
        if args.db_action == "upgrade":
            done = upgrade(engine)
            if done.created:
                print(f"{url}: created every table at revision {done.after}")
            elif done.before == done.after:
                print(f"{url}: already at the newest revision {done.after}")
            else:
                before = done.before or "first release (unversioned)"
                print(f"{url}: upgraded from {before} to {done.after}")
            return 0
        revision = current(engine)
    except sa.exc.SQLAlchemyError as exc:
        first = str(exc).splitlines()[0][:300]
        return fail(
            command,
            f"the warehouse at {url} failed ({type(exc).__name__}: {first}); check "
            "TIKTOK_WAREHOUSE_URL",
        )
    head = head_revision()
    state = "up to date" if revision == head else "run `tiktok-assets db upgrade`"
    print(f"{url}: revision {revision or 'none'} (newest {head}: {state})")
    return 0
