"""`python -m tiktok_assets.sim --port 8787 ...`: run the simulator."""

from __future__ import annotations

import argparse

from tiktok_assets.sim.flags import add_sim_arguments, config_from_args


def main(argv: list[str] | None = None) -> None:
    """Parse the flags and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m tiktok_assets.sim", description="Simulator of the TikTok Shop API."
    )
    add_sim_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from tiktok_assets.sim.server import serve  # the web server, only to serve

    serve(config, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
