"""`tiktok-assets`: the project's command line, one module per command.

| command | module | what it does |
| --- | --- | --- |
| `sim` | `cli.sim` | serve the bundled simulator of the vendor's API |
| `track`, `untrack` | `cli.track` | add or remove tracked ids in the instance |
| `plan` | `cli.plan` | what a selection would cost; without one, the refresh policy's coming days |
| `refresh` | `cli.refresh` | today's refresh, run on the instance (or its plan) |
| `db` | `cli.db` | the warehouse's schema revision |
| `export` | `cli.export` | a table to CSV or Parquet |
| `instance prune` | `cli.instance` | delete old runs and their events from the instance |

Each module's `register` adds its sub-command; the heavy imports (Dagster's instance,
SQLAlchemy, the simulator's web server) happen in the command's run, so a command loads only
what it uses. `cli.common` opens the instance and the warehouse, the one way every command does.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from tiktok_assets.cli import db, export, instance, plan, refresh, sim, track

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The parser with one sub-command per task."""
    parser = argparse.ArgumentParser(
        prog="tiktok-assets",
        description="TikTok Shop market data as a Dagster code location: the project's commands.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (sim, track, plan, refresh, db, export, instance):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    return run(args)
