"""`tiktok-assets sim`: serve the bundled simulator of the vendor's API (the `sim` extra)."""

from __future__ import annotations

import argparse

from tiktok_assets.cli.common import fail


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `sim` sub-command."""
    from tiktok_assets.sim.flags import add_sim_arguments

    parser = commands.add_parser("sim", help="serve the bundled simulator of the vendor's API")
    add_sim_arguments(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from tiktok_assets.sim.flags import config_from_args

    try:
        config = config_from_args(args)
    except ValueError as exc:
        return fail("sim", str(exc))
    try:
        from tiktok_assets.sim.server import serve  # the web server, only to serve
    except ImportError as exc:
        return fail(
            "sim",
            f"the simulator's web server is not installed ({exc}); install the project with "
            "its `sim` extra: pip install -e '.[sim]' (./scripts/bootstrap does)",
            1,
        )
    serve(config, host=args.host, port=args.port)
    return 0
