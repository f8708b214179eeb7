"""The HTTP client of the TikTok Shop API, sync and async, over one pooled httpx client.

The request logic (journal look-up, budget, pacing, retries, classification of answers,
paging) is written once, as generators that yield the effects they need (`_Send`, `_Sleep`,
`_Blocking`); `TikTokShopClient` runs them with blocking calls, `AsyncTikTokShopClient`
with `await`. Both expose the same keyword-only method per endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import datetime as dt
import email.utils
import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx

from tiktok_assets import clock
from tiktok_assets.api import endpoints as ep
from tiktok_assets.api import errors, models
from tiktok_assets.api.hooks import CallRecord, CreditBudget, RateLimiter, RequestJournal
from tiktok_assets.api.methods import EndpointMethods, RankedList

log = logging.getLogger(__name__)

CREDIT_LIMIT_MARKER = "credit"


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    """How the client talks to the API. `api_key` never appears in a repr."""

    origin: str
    api_key: str = dataclasses.field(repr=False)
    timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 10.0
    max_retries: int = 5
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    page_size: int = 50
    max_pages: int = 500
    max_connections: int = 16
    force_refresh: bool = False


@dataclasses.dataclass
class Usage:
    """What calls made inside a `track_usage()` scope cost."""

    requests: int = 0
    credits: int = 0
    cache_hits: int = 0
    retries: int = 0

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.credits += other.credits
        self.cache_hits += other.cache_hits
        self.retries += other.retries


_usage_scopes: contextvars.ContextVar[tuple[Usage, ...]] = contextvars.ContextVar(
    "tiktok_usage_scopes", default=()
)


@contextlib.contextmanager
def track_usage() -> Iterator[Usage]:
    """Count requests, credits and cache hits of the calls made in this scope (and task)."""
    usage = Usage()
    token = _usage_scopes.set((*_usage_scopes.get(), usage))
    try:
        yield usage
    finally:
        _usage_scopes.reset(token)


def _count(**deltas: int) -> None:
    for usage in _usage_scopes.get():
        for name, delta in deltas.items():
            setattr(usage, name, getattr(usage, name) + delta)


# Effects the request generators yield to their driver.
@dataclasses.dataclass(frozen=True)
class _Send:
    request: ep.ApiRequest


@dataclasses.dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclasses.dataclass(frozen=True)
class _Blocking:
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


_Steps = Generator[_Send | _Sleep | _Blocking, Any, Any]


def _http_date(value: str | None) -> dt.datetime | None:
    """An HTTP-date (RFC 9110: IMF-fixdate, RFC 850 or asctime; always UTC), or None."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _retry_after_seconds(
    response: httpx.Response, now: Callable[[], float] = time.time
) -> float | None:
    """`Retry-After` as seconds from now: delay-seconds, or an HTTP-date measured against the
    response's own `Date` (else `now()`); None when absent, unparseable, zero or past."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        seconds = float(value)
    else:
        when = _http_date(value)
        if when is None:
            return None
        sent = _http_date(response.headers.get("date"))
        seconds = when.timestamp() - (sent.timestamp() if sent is not None else now())
    return seconds if seconds > 0 else None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once per
    process: building it takes ~25 ms, which every run's client would otherwise pay."""
    return httpx.create_ssl_context()


class _ClientCore(EndpointMethods):
    """The request logic shared by the sync and the async client."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        limiter: RateLimiter | None = None,
        journal: RequestJournal | None = None,
        budget: CreditBudget | None = None,
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self.journal = journal
        self.budget = budget

    def __repr__(self) -> str:
        return f"{type(self).__name__}(origin={self.settings.origin!r})"

    # -- building blocks -------------------------------------------------------------------

    def _http_options(self) -> dict[str, Any]:
        """What the pooled httpx client is built with: origin, key header, timeouts, TLS, pool."""
        s = self.settings
        return {
            "base_url": s.origin,
            "headers": {
                "X-API-Key": s.api_key,
                "Accept": "application/json",
                "User-Agent": "tiktok-shop-assets/0.1",
            },
            "timeout": httpx.Timeout(s.timeout_seconds, connect=s.connect_timeout_seconds),
            "verify": _tls_context(),
            "limits": httpx.Limits(
                max_connections=s.max_connections, max_keepalive_connections=s.max_connections
            ),
        }

    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        return text.replace(key, "***") if key else text

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        s = self.settings
        if retry_after is not None:
            return min(retry_after, s.max_retry_after_seconds)
        ceiling = min(s.max_backoff_seconds, s.backoff_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _classify(self, request: ep.ApiRequest, response: httpx.Response) -> tuple[Any, Exception]:
        """(body, None) for a good answer, or (body or None, the typed error)."""
        where = {"route": request.route, "id": request.id, "status": response.status_code}
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        server_message = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            server_message = self._redact(body["error"])[:300]
        elif body is None:
            server_message = self._redact(response.text[:120]) or None
        status = response.status_code
        if 200 <= status < 300:
            if not isinstance(body, dict):
                return None, errors.BadResponse(
                    f"answer is not a JSON object (HTTP {status}, "
                    f"content-type {response.headers.get('content-type')!r})",
                    **where,
                )
            if body.get("success") is False:
                return None, errors.BadResponse(
                    "answer says success: false", server_message=server_message, **where
                )
            if "data" not in body:
                return None, errors.BadResponse("answer has no 'data'", **where)
            return body, None  # type: ignore[return-value]
        kind: type[errors.TikTokAPIError]
        if status == 401:
            kind = errors.Unauthorized
        elif status == 403:
            kind = errors.Forbidden
        elif status == 404 or (server_message and "not found" in server_message.lower()):
            kind = errors.NotFound
        elif status == 429:
            if server_message and CREDIT_LIMIT_MARKER in server_message.lower():
                kind = errors.CreditLimitReached
            else:
                return None, errors.RateLimited(
                    "rate limited (HTTP 429)",
                    retry_after=_retry_after_seconds(response),
                    server_message=server_message,
                    **where,
                )
        elif status >= 500:
            kind = errors.ServerError
        else:
            kind = errors.BadRequest
        return None, kind(f"HTTP {status}", server_message=server_message, **where)

    # -- one request, with journal, budget, pacing and retries -------------------------------

    def _exchange(self, request: ep.ApiRequest) -> _Steps:
        """Steps of one logical request; returns the JSON body of a successful answer."""
        s = self.settings
        if self.journal is not None and not s.force_refresh:
            cached = yield _Blocking(self.journal.lookup, (request,))
            if cached is not None:
                _count(cache_hits=1)
                return cached
        if self.budget is not None:
            yield _Blocking(self.budget.ensure_available, (request,))
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                while (wait := (yield _Blocking(self.limiter.try_acquire))) > 0:
                    yield _Sleep(wait)
            started = time.monotonic()
            body: Any = None
            error: Exception | None
            status: int | None = None
            try:
                response = yield _Send(request)
            except httpx.TimeoutException as exc:
                error = errors.TransportError(
                    f"timed out after {s.timeout_seconds:g}s ({type(exc).__name__})",
                    route=request.route,
                    id=request.id,
                )
            except httpx.TransportError as exc:
                error = errors.TransportError(
                    f"could not reach {s.origin} ({type(exc).__name__}: "
                    f"{self._redact(str(exc))[:200]})",
                    route=request.route,
                    id=request.id,
                )
            else:
                status = response.status_code
                body, error = self._classify(request, response)
            duration = time.monotonic() - started
            credits = 1 if status is not None and 200 <= status < 300 else 0
            _count(requests=1, credits=credits)
            if self.journal is not None:
                call = CallRecord(
                    request=request,
                    status=status,
                    duration_s=duration,
                    credits=credits,
                    body=body if error is None else None,
                    error=None if error is None else str(error),
                    attempt=attempt,
                    fetched_at=clock.now(),
                )
                yield _Blocking(self.journal.record, (call,))
            if error is None:
                return body
            retryable = getattr(error, "retryable", False)
            if retryable and attempt <= s.max_retries:
                pause = self._backoff(attempt, getattr(error, "retry_after", None))
                log.warning("%s; retry %d/%d in %.2fs", error, attempt, s.max_retries, pause)
                _count(retries=1)
                yield _Sleep(pause)
                continue
            if isinstance(error, errors.TikTokAPIError) and attempt > 1:
                error.gave_up_after(attempt)
            raise error

    def _one(self, endpoint: ep.Endpoint, id: str | None, **params: Any) -> _Steps:
        """Steps of a single-object route; returns its record."""
        request = ep.build_request(endpoint, id, **params)
        body = yield from self._exchange(request)
        return models.parse_record(endpoint.record, body["data"], route=request.route, id=id)

    def _series(self, endpoint: ep.Endpoint, id: str, **params: Any) -> _Steps:
        """Steps of an unpaged list route; returns its records."""
        request = ep.build_request(endpoint, id, **params)
        body = yield from self._exchange(request)
        data = body["data"]
        if not isinstance(data, list):
            raise errors.BadResponse("'data' should be a list", route=request.route, id=id)
        return [
            models.parse_record(endpoint.record, row, route=request.route, id=id) for row in data
        ]

    def _pages(self, endpoint: ep.Endpoint, id: str, **params: Any) -> _Steps:
        """Steps of a paged list route: every page until `total`, an empty page or max_pages."""
        s = self.settings
        items: list[models.Record] = []
        total: int | None = None
        for page in range(1, s.max_pages + 1):
            request = ep.build_request(endpoint, id, page=page, limit=s.page_size, **params)
            body = yield from self._exchange(request)
            data = body["data"]
            if not isinstance(data, list):
                raise errors.BadResponse("'data' should be a list", route=request.route, id=id)
            page_total = body.get("total")
            if page_total is not None:
                if not isinstance(page_total, int) or isinstance(page_total, bool):
                    raise errors.BadResponse(
                        f"'total' should be an integer, got {page_total!r:.40}",
                        route=request.route,
                        id=id,
                    )
                total = page_total
            items.extend(
                models.parse_record(endpoint.record, row, route=request.route, id=id)
                for row in data
            )
            if not data or (total is not None and len(items) >= total):
                return RankedList(items, total)
        raise errors.BadResponse(
            f"list still incomplete after max_pages={s.max_pages} pages of {s.page_size} "
            f"({len(items)} of {total} rows); raise max_pages",
            route=endpoint.route,
            id=id,
        )

    def _steps_for(self, endpoint: ep.Endpoint, id: str | None, **params: Any) -> _Steps:
        if endpoint.paged:
            return self._pages(endpoint, id, **params)  # type: ignore[arg-type]
        if endpoint.returns_list:
            return self._series(endpoint, id, **params)  # type: ignore[arg-type]
        return self._one(endpoint, id, **params)


class TikTokShopClient(_ClientCore):
    """Blocking client; use as a context manager so the connection pool is closed."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        **hooks: Any,
    ) -> None:
        super().__init__(settings, **hooks)
        self._http = httpx.Client(transport=transport, **self._http_options())

    def __enter__(self) -> TikTokShopClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, endpoint: ep.Endpoint, id: str | None, **params: Any) -> Any:
        steps = self._steps_for(endpoint, id, **params)
        value: Any = None
        failure: Exception | None = None
        try:
            while True:
                effect = steps.send(value) if failure is None else steps.throw(failure)
                value, failure = None, None
                if isinstance(effect, _Send):
                    method, path, body, query = effect.request.http_parts()
                    try:
                        value = self._http.request(method, path, json=body, params=query)
                    except httpx.HTTPError as exc:
                        failure = exc
                elif isinstance(effect, _Sleep):
                    time.sleep(effect.seconds)
                else:
                    value = effect.fn(*effect.args)
        except StopIteration as done:
            return done.value
        finally:
            steps.close()


class AsyncTikTokShopClient(_ClientCore):
    """Async client: the same methods, each returning an awaitable of the same record."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **hooks: Any,
    ) -> None:
        super().__init__(settings, **hooks)
        self._http = httpx.AsyncClient(transport=transport, **self._http_options())

    async def __aenter__(self) -> AsyncTikTokShopClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, endpoint: ep.Endpoint, id: str | None, **params: Any) -> Any:  # type: ignore[override]
        steps = self._steps_for(endpoint, id, **params)
        value: Any = None
        failure: Exception | None = None
        try:
            while True:
                effect = steps.send(value) if failure is None else steps.throw(failure)
                value, failure = None, None
                if isinstance(effect, _Send):
                    method, path, body, query = effect.request.http_parts()
                    try:
                        value = await self._http.request(method, path, json=body, params=query)
                    except httpx.HTTPError as exc:
                        failure = exc
                elif isinstance(effect, _Sleep):
                    await asyncio.sleep(effect.seconds)
                else:
                    value = await asyncio.to_thread(effect.fn, *effect.args)
        except StopIteration as done:
            return done.value
        finally:
            steps.close()
