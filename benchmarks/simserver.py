"""`python -m benchmarks.simserver --port N --config JSON`: the simulator, plus arrival times.

The bundled simulator (`tiktok_assets.sim.create_app`) with one addition for the benchmarks:
`GET /_bench/arrivals?key=K` answers the wall-clock time of every request of key `K` that
reached the rate limiter, and whether it was admitted (`[[t, true], ...]`).
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from tiktok_assets.sim import SimConfig
from tiktok_assets.sim.app import create_app

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ARRIVALS_PATH = "/_bench/arrivals"


class Arrivals:
    """Every request's arrival at the simulator's rate limiter, by key (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: defaultdict[str, list[tuple[float, bool]]] = defaultdict(list)

    def add(self, key: str, admitted: bool) -> None:
        with self._lock:
            self._by_key[key].append((time.time(), admitted))

    def of(self, key: str) -> list[tuple[float, bool]]:
        with self._lock:
            return list(self._by_key.get(key, []))


def with_arrivals(config: SimConfig) -> tuple[ASGIApp, Arrivals]:
    """The simulator app wrapped so that its ledger's `admit` calls are recorded."""
    app = create_app(config)
    ledger = app.state.sim.ledger
    arrivals = Arrivals()
    admit = ledger.admit

    def recording_admit(key: str, per_minute: int) -> float | None:
        wait = admit(key, per_minute)
        arrivals.add(key, wait is None)
        return wait

    ledger.admit = recording_admit

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == ARRIVALS_PATH:
            key = parse_qs(scope.get("query_string", b"").decode()).get("key", [""])[0]
            body = json.dumps(arrivals.of(key)).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped, arrivals


def main(argv: list[str] | None = None) -> None:
    """Serve on 127.0.0.1 until terminated."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simserver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", default="{}", help="SimConfig fields as a JSON object")
    args = parser.parse_args(argv)
    config = SimConfig()
    config.update(**json.loads(args.config))
    app, _ = with_arrivals(config)
    logging.basicConfig(level=logging.WARNING)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


if __name__ == "__main__":
    main()
