"""The bundled simulator served over real HTTP from a thread of the test process."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from typing import Any

import httpx
import uvicorn

from tiktok_assets.sim import SimConfig, World
from tiktok_assets.sim.app import SimState, create_app


@dataclasses.dataclass
class RunningSim:
    """A simulator listening on 127.0.0.1; tests reconfigure it through `state`."""

    url: str
    state: SimState
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def config(self) -> SimConfig:
        return self.state.config

    def configure(self, **changes: Any) -> None:
        self.state.apply(changes)

    def ledger(self, key: str = "demo-key") -> dict[str, Any]:
        """The simulator's own accounting for `key` (credits, requests, 429s)."""
        return self.state.ledger.account(key).to_json()

    def reset(self, **changes: Any) -> None:
        """Clear the ledger and apply `changes` on top of the given defaults."""
        self.state.ledger.reset()
        self.state.reseed()
        if changes:
            self.state.apply(changes)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_sim(config: SimConfig) -> RunningSim:
    """Serve `config` on a free port and wait until it answers."""
    app = create_app(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("the simulator did not start")
    return RunningSim(url, app.state.sim, server, thread)
