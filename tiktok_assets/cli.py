"""`tiktok-assets`: the project's command line (simulator, tracked ids, cost planner, export)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Command = Callable[[argparse.Namespace], int]


def _sim(args: argparse.Namespace) -> int:
    from tiktok_assets.sim.server import config_from_args, serve

    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"tiktok-assets sim: {exc}", file=sys.stderr)
        return 2
    serve(config, host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser with one sub-command per task."""
    from tiktok_assets.sim.server import add_sim_arguments

    parser = argparse.ArgumentParser(prog="tiktok-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sim = commands.add_parser("sim", help="serve the bundled simulator of the vendor's API")
    add_sim_arguments(sim)
    sim.set_defaults(run=_sim)

    for register in _extra_commands():
        register(commands)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    from tiktok_assets.analytics.export import register_export
    from tiktok_assets.economy.cli import register_plan
    from tiktok_assets.refresh.cli import register_refresh
    from tiktok_assets.tracking.cli import register_tracking
    from tiktok_assets.warehouse.cli import register_db

    return [register_tracking, register_plan, register_refresh, register_db, register_export]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
