"""The simulator's command-line flags (`tiktok-assets sim`, `python -m tiktok_assets.sim`).

Parsing the flags needs no web server: `tiktok_assets.sim.server` (uvicorn) is imported only
when the simulator is served.
"""

from __future__ import annotations

import argparse
from typing import Any

from tiktok_assets.sim.config import SimConfig, parse_api_keys
from tiktok_assets.sim.living import MARKETS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787

# flag dest -> SimConfig field
_FLAG_FIELDS: dict[str, str] = {
    "seed": "seed",
    "today": "today",
    "shops": "shops",
    "products_per_shop": "products_per_shop",
    "creators": "creators",
    "videos": "videos",
    "rate_limit": "rate_limit_per_minute",
    "credit_limit": "monthly_credit_limit",
    "latency_ms": "latency_ms",
    "error_rate": "error_rate",
    "non_json_rate": "non_json_rate",
    "hang_rate": "hang_rate",
    "hang_seconds": "hang_seconds",
    "retry_after": "retry_after",
    "extra_fields": "extra_fields",
    "drop_optional_fields": "drop_optional_fields",
    "max_page_limit": "max_page_limit",
    "market": "market",
    "list_lag": "list_lag_days",
}


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--host`, `--port` and one flag per `SimConfig` setting (unset flags keep env)."""
    env = "default: env TIKTOK_SIM_{} or {}"
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default: {DEFAULT_HOST}")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default: {DEFAULT_PORT}; 0 = any free"
    )
    parser.add_argument("--seed", type=int, help=env.format("SEED", 7))
    parser.add_argument(
        "--today", help="ISO date the data ends the day before; " + env.format("TODAY", "UTC")
    )
    parser.add_argument("--shops", type=int, help=env.format("SHOPS", 12))
    parser.add_argument(
        "--products-per-shop",
        type=_int_pair,
        metavar="MIN,MAX",
        help=env.format("PRODUCTS_PER_SHOP", "8,60"),
    )
    parser.add_argument("--creators", type=int, help=env.format("CREATORS", 40))
    parser.add_argument("--videos", type=int, help=env.format("VIDEOS", 120))
    parser.add_argument(
        "--rate-limit",
        type=int,
        help="per key per minute, 0 disables; " + env.format("RATE_LIMIT_PER_MINUTE", 60),
    )
    parser.add_argument("--credit-limit", type=int, help=env.format("MONTHLY_CREDIT_LIMIT", 20000))
    parser.add_argument("--latency-ms", type=float, help=env.format("LATENCY_MS", 0))
    parser.add_argument("--error-rate", type=float, help=env.format("ERROR_RATE", 0))
    parser.add_argument("--non-json-rate", type=float, help=env.format("NON_JSON_RATE", 0))
    parser.add_argument("--hang-rate", type=float, help=env.format("HANG_RATE", 0))
    parser.add_argument("--hang-seconds", type=float, help=env.format("HANG_SECONDS", 30))
    parser.add_argument(
        "--retry-after",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="send Retry-After on rate-limit 429s; " + env.format("RETRY_AFTER", "off"),
    )
    parser.add_argument(
        "--extra-fields",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add unknown fields to data; " + env.format("EXTRA_FIELDS", "off"),
    )
    parser.add_argument(
        "--drop-optional-fields",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="omit optional fields; " + env.format("DROP_OPTIONAL_FIELDS", "off"),
    )
    parser.add_argument("--max-page-limit", type=int, help=env.format("MAX_PAGE_LIMIT", 50))
    parser.add_argument(
        "--market",
        choices=MARKETS,
        help="static: a frozen world; living: launches, lifecycles, price changes, late "
        "corrections; " + env.format("MARKET", "static"),
    )
    parser.add_argument(
        "--list-lag",
        type=int,
        metavar="N",
        help="list routes answer windows ending N days before the totals'; "
        + env.format("LIST_LAG_DAYS", 0),
    )
    parser.add_argument(
        "--api-key",
        action="append",
        metavar="KEY[:GROUP+GROUP]",
        help="accepted key, repeatable (replaces the env list); optional plan groups among "
        "shops, products, creators, videos, credits; " + env.format("API_KEYS", "demo-key"),
    )


def _int_pair(text: str) -> tuple[int, int]:
    low, _, high = text.partition(",")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX, got {text!r}") from None


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """`SimConfig.from_env()` overridden by the flags given (`ValueError` on bad values)."""
    config = SimConfig.from_env()
    changes: dict[str, Any] = {
        name: getattr(args, dest)
        for dest, name in _FLAG_FIELDS.items()
        if getattr(args, dest, None) is not None
    }
    if getattr(args, "api_key", None):
        changes["api_keys"] = parse_api_keys(",".join(args.api_key))
    config.update(**changes)
    return config
