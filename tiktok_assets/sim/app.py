"""The Starlette app serving the vendor's routes from a `World`, plus `/_sim/*` admin routes.

Each API request goes through: auth (401) -> plan (403) -> rate limit (429) -> monthly
credits (429) -> latency and injected faults (500, HTML) -> parameters (400) -> unknown id
(404) -> `{"success": true, "data": ...}` (one credit charged).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tiktok_assets.sim.config import WORLD_FIELDS, SimConfig
from tiktok_assets.sim.ledger import Ledger, retry_after_seconds
from tiktok_assets.sim.world import ORDERS, SORT_KEYS, World

DEFAULT_PERIOD = 30
DEFAULT_PAGE = 1
DEFAULT_LIMIT = 20
PERIODS = (1, 7, 30, 90)
VIDEO_PERIODS = (1, 7, 30)
EXTRA_FIELDS: dict[str, Any] = {"vendor_score": 0.5, "new_field": {"kind": "beta", "tags": ["x"]}}
HTML_BODY = "<html>Bad gateway</html>"
_WORLD_FIELDS = tuple(sorted(WORLD_FIELDS))


class SimState:
    """What one app instance owns: its config, world, ledger and fault RNG."""

    def __init__(self, config: SimConfig, ledger: Ledger) -> None:
        self.config = config
        self.ledger = ledger
        self._world: World | None = None
        self._world_key: tuple[Any, ...] = ()
        self._rng_seed: int | None = None
        self.rng = random.Random()
        self._sync()

    def _sync(self) -> None:
        cfg = self.config
        key = tuple(getattr(cfg, name) for name in _WORLD_FIELDS)
        if self._world is None or key != self._world_key:
            self._world = World.from_config(cfg)
            self._world_key = key
        self._world.list_lag_days = cfg.list_lag_days
        if cfg.seed != self._rng_seed:
            self.reseed()

    def reseed(self) -> None:
        """Restart the fault RNG from the seed (runs are reproducible)."""
        self.rng = random.Random(self.config.seed)
        self._rng_seed = self.config.seed

    @property
    def world(self) -> World:
        """The world of the current seed, sizes and market (rebuilt if they changed)."""
        self._sync()
        assert self._world is not None
        return self._world

    def today(self) -> dt.date:
        """The simulated today (data ends the day before)."""
        return self.config.current_today()

    def apply(self, changes: Mapping[str, Any]) -> set[str]:
        """Change config fields (`ValueError` on bad ones); rebuild what depends on them."""
        changed = self.config.update(**changes)
        self._sync()
        return changed


class _BadRequest(Exception):
    """A parameter is missing or invalid (answered 400 with the message)."""


@dataclass(frozen=True, slots=True)
class _Params:
    id: str
    period: int
    page: int
    limit: int
    sort: str
    order: str


@dataclass(frozen=True, slots=True)
class _Endpoint:
    method: str
    path: str
    group: str
    entity: str | None
    periods: tuple[int, ...] | None
    listing: bool
    optional: tuple[str, ...]
    build: Callable[[World, _Params, dt.date], Any]


_ENDPOINTS: tuple[_Endpoint, ...] = (
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/shop-detail",
        "shops",
        "Shop",
        None,
        False,
        ("logo", "rating", "country"),
        lambda w, p, t: w.shop_detail(p.id, t),
    ),
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/shop-detail/total",
        "shops",
        "Shop",
        PERIODS,
        False,
        (),
        lambda w, p, t: w.shop_total(p.id, p.period, t),
    ),
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/shop-detail/product/queryList",
        "shops",
        "Shop",
        PERIODS,
        True,
        (),
        lambda w, p, t: w.shop_products(p.id, p.period, t, p.sort, p.order),
    ),
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/product-detail/total",
        "products",
        "Product",
        PERIODS,
        False,
        (),
        lambda w, p, t: w.product_total(p.id, p.period, t),
    ),
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/product-detail/history",
        "products",
        "Product",
        PERIODS,
        False,
        (),
        lambda w, p, t: w.product_history(p.id, p.period, t),
    ),
    _Endpoint(
        "GET",
        "/api/v1/tiktok-shop/product-detail/{id}",
        "products",
        "Product",
        None,
        False,
        ("image", "rating"),
        lambda w, p, t: w.product_detail(p.id, t),
    ),
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/creator-detail/total",
        "creators",
        "Creator",
        PERIODS,
        False,
        ("followers",),
        lambda w, p, t: w.creator_total(p.id, p.period, t),
    ),
    _Endpoint(
        "POST",
        "/api/v1/tiktok-shop/creator-detail/searchProducts",
        "creators",
        "Creator",
        PERIODS,
        True,
        (),
        lambda w, p, t: w.creator_products(p.id, p.period, t, p.sort, p.order),
    ),
    _Endpoint(
        "GET",
        "/api/v2/videos/{id}/metrics",
        "videos",
        "Video",
        VIDEO_PERIODS,
        False,
        (),
        lambda w, p, t: w.video_metrics(p.id, p.period, t),
    ),
    _Endpoint(
        "GET",
        "/api/v2/videos/{id}",
        "videos",
        "Video",
        None,
        False,
        ("caption",),
        lambda w, p, t: w.video_detail(p.id, t),
    ),
    _Endpoint(
        "GET",
        "/api/v1/tiktok-shop/credits",
        "credits",
        None,
        None,
        False,
        (),
        lambda w, p, t: None,  # answered from the ledger in `_handle`
    ),
)

_LOOKUP: dict[str, Callable[[World, str, dt.date], Any]] = {
    "Shop": lambda w, i, t: w.shop(i),
    "Product": World.product_as_of,
    "Creator": lambda w, i, t: w.creator(i),
    "Video": World.video_as_of,
}
"""Who the API knows on a day (`KeyError` -> 404): in the living market, a product from its
launch on, a video from its posting date on."""


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status, headers=headers)


def _api_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _int_param(
    source: Mapping[str, Any], name: str, default: int, from_query: bool
) -> tuple[int, Any]:
    raw = source.get(name)
    if raw is None:
        return default, raw
    if from_query:
        if isinstance(raw, str) and raw.isascii() and raw.isdigit():
            return int(raw), raw
        raise _BadRequest(f"Invalid {name}: {raw!r} is not an integer")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, raw
    raise _BadRequest(f"Invalid {name}: {json.dumps(raw)} is not an integer")


async def _params(request: Request, ep: _Endpoint, max_limit: int) -> _Params:
    source: Mapping[str, Any]
    if ep.method == "POST":
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise _BadRequest("Request body must be a JSON object")
        source, from_query = body, False
        ident = body.get("id")
        if ident is None:
            raise _BadRequest("Missing required parameter: id")
        if "country" in body and not isinstance(body["country"], str | None):
            raise _BadRequest("Invalid country: must be a string")
    else:
        source, from_query = request.query_params, True
        ident = request.path_params.get("id", "")
    if ep.entity is not None and not _is_id(ident):
        raise _BadRequest("Invalid id: must be a string of digits")
    period, page, limit = DEFAULT_PERIOD, DEFAULT_PAGE, DEFAULT_LIMIT
    sort, order = "revenue", "desc"
    if ep.periods is not None:
        period, raw = _int_param(source, "period", DEFAULT_PERIOD, from_query)
        if period not in ep.periods:
            allowed = ", ".join(map(str, ep.periods))
            raise _BadRequest(f"Invalid period: {raw!s} (allowed: {allowed})")
    if ep.listing:
        page, _ = _int_param(source, "page", DEFAULT_PAGE, from_query)
        if page < 1:
            raise _BadRequest("Invalid page: must be >= 1")
        limit, _ = _int_param(source, "limit", DEFAULT_LIMIT, from_query)
        if limit < 1:
            raise _BadRequest("Invalid limit: must be >= 1")
        limit = min(limit, max_limit)
        sort = source.get("sort") or "revenue"
        if sort not in SORT_KEYS:
            raise _BadRequest(f"Invalid sort: {sort!r} (allowed: {', '.join(SORT_KEYS)})")
        order = source.get("order") or "desc"
        if order not in ORDERS:
            raise _BadRequest(f"Invalid order: {order!r} (allowed: {', '.join(ORDERS)})")
    return _Params(str(ident), period, page, limit, sort, order)


def _shape(data: Any, ep: _Endpoint, cfg: SimConfig) -> Any:
    """Apply `drop_optional_fields` and `extra_fields` to the data object or list items."""
    if not (cfg.extra_fields or (cfg.drop_optional_fields and ep.optional)):
        return data
    items = data if isinstance(data, list) else [data]
    for item in items:
        if cfg.drop_optional_fields:
            for name in ep.optional:
                item.pop(name, None)
        if cfg.extra_fields:
            item.update(json.loads(json.dumps(EXTRA_FIELDS)))
    return data


async def _faults(sim: SimState) -> Response | None:
    """Sleep for latency or a hang, or answer a 500 or an HTML page, per the config."""
    cfg, rng = sim.config, sim.rng
    hang = cfg.hang_rate > 0 and rng.random() < cfg.hang_rate
    fail = cfg.error_rate > 0 and rng.random() < cfg.error_rate
    html = cfg.non_json_rate > 0 and rng.random() < cfg.non_json_rate
    delay = cfg.latency_ms / 1000 + (cfg.hang_seconds if hang else 0.0)
    if delay > 0:
        await asyncio.sleep(delay)
    if fail:
        return _error(500, "Internal server error")
    if html:
        return HTMLResponse(HTML_BODY, status_code=200)
    return None


async def _handle(request: Request, ep: _Endpoint) -> Response:
    sim: SimState = request.app.state.sim
    response = await _answer(request, ep, sim)
    key = _api_key(request)
    sim.ledger.record_response(key if key in sim.config.api_keys else None, response.status_code)
    return response


def _credit_limit(sim: SimState, key: str, month: tuple[int, int]) -> Response | None:
    """The credit-limit 429 if the key has spent its month's credits."""
    limit = sim.config.monthly_credit_limit
    if sim.ledger.credits_used(key, month) < limit:
        return None
    sim.ledger.credit_limited(key)
    return _error(429, f"Monthly credit limit reached ({limit}). Resets next month.")


def _gate(sim: SimState, key: str | None, ep: _Endpoint, month: tuple[int, int]) -> Response | None:
    """Auth (401), plan (403), rate limit (429) and credits (429), in that order."""
    cfg, ledger = sim.config, sim.ledger
    if key is None or key not in cfg.api_keys:
        return _error(401, "Unauthorized")
    ledger.record_request(key)
    groups = cfg.api_keys[key]
    if groups is not None and ep.group not in groups:
        return _error(403, f"Forbidden: your plan does not include {ep.group}")
    wait = ledger.admit(key, cfg.rate_limit_per_minute)
    if wait is not None:
        headers = {"Retry-After": str(retry_after_seconds(wait))} if cfg.retry_after else None
        message = f"Rate limit exceeded: {cfg.rate_limit_per_minute} requests per minute"
        return _error(429, message, headers)
    return _credit_limit(sim, key, month)


async def _answer(request: Request, ep: _Endpoint, sim: SimState) -> Response:
    cfg, ledger = sim.config, sim.ledger
    key = _api_key(request)
    today = sim.today()
    month = (today.year, today.month)
    refused = _gate(sim, key, ep, month)
    if refused is not None:
        return refused
    assert key is not None
    await request.body()  # read before any delay: a client that gives up cannot lose it
    fault = await _faults(sim)
    if fault is not None:
        return fault
    spent = _credit_limit(sim, key, month)  # concurrent calls may have spent it meanwhile
    if spent is not None:
        return spent
    try:
        params = await _params(request, ep, cfg.max_page_limit)
    except _BadRequest as exc:
        return _error(400, str(exc))
    world = sim.world
    if ep.entity is not None:
        try:
            _LOOKUP[ep.entity](world, params.id, today)
        except KeyError:
            return _error(404, f"{ep.entity} {params.id} not found")
    if ep.group == "credits":  # the answer counts this call's own credit
        used, limit = ledger.credits_used(key, month) + 1, cfg.monthly_credit_limit
        data: Any = {"used": used, "limit": limit, "remaining": max(limit - used, 0)}
    else:
        data = ep.build(world, params, today)
    body: dict[str, Any] = {"success": True}
    if ep.listing:
        start = (params.page - 1) * params.limit
        body["data"] = _shape(data[start : start + params.limit], ep, cfg)
        body["page"] = params.page
        body["total"] = len(data)
    else:
        body["data"] = _shape(data, ep, cfg)
    ledger.charge(key, f"{ep.method} {ep.path}", month)
    return JSONResponse(body)


def _endpoint_route(ep: _Endpoint) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _handle(request, ep)

    return Route(ep.path, endpoint, methods=[ep.method], name=f"{ep.method} {ep.path}")


def _admin_routes() -> list[Route]:
    def sim_of(request: Request) -> SimState:
        return request.app.state.sim  # type: ignore[no-any-return]

    async def health(request: Request) -> Response:
        sim = sim_of(request)
        return JSONResponse({"ok": True, "today": sim.today().isoformat()})

    async def ledger(request: Request) -> Response:
        return JSONResponse(sim_of(request).ledger.to_json())

    async def world(request: Request) -> Response:
        return JSONResponse(sim_of(request).world.ids())

    async def get_config(request: Request) -> Response:
        return JSONResponse(_config_json(sim_of(request).config))

    async def set_config(request: Request) -> Response:
        sim = sim_of(request)
        try:
            changes = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            changes = None
        if not isinstance(changes, dict):
            return _error(400, "Request body must be a JSON object")
        try:
            changed = sim.apply(changes)
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse({"changed": sorted(changed), "config": _config_json(sim.config)})

    async def reset(request: Request) -> Response:
        sim = sim_of(request)
        sim.ledger.reset()
        sim.reseed()
        return JSONResponse({"ok": True})

    handlers: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
        ("GET", "/_sim/health", health),
        ("GET", "/_sim/ledger", ledger),
        ("GET", "/_sim/world", world),
        ("GET", "/_sim/config", get_config),
        ("POST", "/_sim/config", set_config),
        ("POST", "/_sim/reset", reset),
    ]
    return [Route(path, fn, methods=[method]) for method, path, fn in handlers]


def _config_json(config: SimConfig) -> dict[str, Any]:
    """The config without the key values (only a masked prefix of each)."""
    out = config.to_json()
    out["api_keys"] = {f"{key[:2]}***": groups for key, groups in config.api_keys.items()}
    return out


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, "Not found")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(405, "Method not allowed", exc.headers)


def create_app(
    config: SimConfig | None = None, *, clock: Callable[[], float] | None = None
) -> Starlette:
    """The simulator app; `config` defaults to `SimConfig.from_env()`.

    `app.state.sim` exposes `.config`, `.world` and `.ledger`; `clock` (monotonic
    seconds) drives the rate-limit window.
    """
    ledger = Ledger(clock) if clock is not None else Ledger()
    routes = [_endpoint_route(ep) for ep in _ENDPOINTS] + _admin_routes()
    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.sim = SimState(config if config is not None else SimConfig.from_env(), ledger)
    return app
