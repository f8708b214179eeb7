"""Running the simulator as a real HTTP server (uvicorn); its flags are in `sim.flags`."""

from __future__ import annotations

import logging
import socket

import uvicorn

from tiktok_assets.sim.app import create_app
from tiktok_assets.sim.config import SimConfig
from tiktok_assets.sim.flags import DEFAULT_HOST, DEFAULT_PORT

logger = logging.getLogger("tiktok_assets.sim")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve(config: SimConfig, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the simulator until interrupted (port 0 picks a free port, logged at start)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.setLevel(logging.INFO)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), log_level="warning", access_log=False, lifespan="off")
    )
    logger.info(
        "TikTok Shop simulator listening on http://%s:%d (seed %d, %s market, today %s, %d key(s))",
        shown,
        bound_port,
        config.seed,
        config.market,
        config.today.isoformat() if config.today else "UTC date",
        len(config.api_keys),
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
