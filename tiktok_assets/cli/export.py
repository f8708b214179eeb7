"""`tiktok-assets export TABLE --format csv|parquet --out PATH [--since DATE] [--period N]`:
write any warehouse or analytics table to a file (`tiktok_assets.analytics.export`).

`--since` keeps rows dated on or after DATE (the table's `snapshot_date`, else `date`,
`call_date` or `fired_on`); `--period` keeps one period. JSON columns (`raw`, `body`,
`details`) are written as JSON text. An unknown table or a filter the table cannot take
exits 2 with a message; reads `TIKTOK_WAREHOUSE_URL` (default: the project's SQLite file).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tiktok_assets.cli.common import fail, open_warehouse, settings_or_none


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `export` sub-command."""
    from tiktok_assets.analytics.export import FORMATS
    from tiktok_assets.warehouse.tables import metadata

    parser = commands.add_parser(
        "export",
        help="write a warehouse or analytics table to CSV or Parquet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("table", help=f"one of: {', '.join(sorted(metadata.tables))}")
    parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
    parser.add_argument("--out", required=True, type=Path, help="the file to write")
    parser.add_argument("--since", help="keep rows dated on or after this ISO date")
    parser.add_argument("--period", help="keep rows of this period (days)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from tiktok_assets.analytics.export import ExportError, build_query, export_table

    settings = settings_or_none("export")
    if settings is None:
        return 2
    try:
        build_query(args.table, args.since, args.period)  # refuse before opening anything
        warehouse = open_warehouse(settings)
        count = export_table(
            warehouse.engine, args.table, args.fmt, args.out, since=args.since, period=args.period
        )
    except ExportError as exc:
        return fail("export", str(exc))
    print(f"wrote {count} rows of {args.table} to {args.out}")
    return 0
