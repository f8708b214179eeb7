"""Helpers for the simulator tests: constants, a fake clock, a blocking in-process client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.conftest import KEY, TODAY
from tiktok_assets.sim import SimConfig, World
from tiktok_assets.sim.app import create_app

API = "/api/v1/tiktok-shop"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SimClient:
    """Blocking calls into an app in-process (`ASGITransport` is async-only)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sim"
        )

    @property
    def world(self) -> World:
        return self.app.state.sim.world  # type: ignore[no-any-return]

    @property
    def config(self) -> SimConfig:
        return self.app.state.sim.config  # type: ignore[no-any-return]

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        key: str | None = KEY,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        all_headers = {"X-API-Key": key} if key is not None else {}
        all_headers.update(headers or {})
        return self._runner.run(
            self._client.request(
                method, path, json=json, content=content, headers=all_headers, params=params
            )
        )

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        """The `data` of a successful answer (asserts the envelope)."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        return body["data"]

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()

    def __enter__(self) -> SimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_client(clock: FakeClock | None = None, **config: Any) -> SimClient:
    """A client over a fresh app with `today=TODAY` and the given config fields."""
    config.setdefault("today", TODAY)
    return SimClient(create_app(SimConfig(**config), clock=clock))
