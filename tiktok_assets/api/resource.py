"""`TikTokShopAPI`: the Dagster resource that holds the API's configuration and opens clients."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from tiktok_assets.api.methods import EndpointMethods

if TYPE_CHECKING:  # the client (httpx) is imported when a client is opened, not at load
    from tiktok_assets.api.client import AsyncTikTokShopClient, ClientSettings, TikTokShopClient
    from tiktok_assets.api.endpoints import Endpoint


class TikTokShopAPI(ConfigurableResource, EndpointMethods):
    """The authenticated TikTok Shop API.

    Call an endpoint directly (`api.shop_total(id=..., period=30)`) for one-off use, or open
    a client with the run's rate limiter, request journal and credit budget plugged in
    (`api.async_client(...)`), as the assets do. The key is read from `WH_API_KEY` and never
    appears in a repr, a log line, metadata or an error message.
    """

    api_key: str = Field(description="The vendor API key (set WH_API_KEY).", repr=False)
    origin: str = Field(description="Scheme and host of the API (TIKTOK_API_ORIGIN).")
    timeout_seconds: float = Field(default=30.0, description="Read timeout of one request.")
    max_retries: int = Field(
        default=5, description="Retries of 429-rate, 5xx, timeouts and connection errors."
    )
    backoff_seconds: float = Field(default=0.5, description="First retry pause (doubles).")
    max_backoff_seconds: float = Field(default=30.0, description="Longest retry pause.")
    page_size: int = Field(default=50, description="`limit` asked of list routes.")
    max_pages: int = Field(default=500, description="Guard against endless paging.")
    max_concurrency: int = Field(
        default=8, description="Partitions fetched at once inside one run."
    )
    rate_per_minute: int = Field(
        default=60,
        description="Requests per rolling minute for this key (TIKTOK_API_RATE_PER_MINUTE).",
    )

    _sync_client: TikTokShopClient | None = PrivateAttr(default=None)

    def __repr__(self) -> str:
        return f"TikTokShopAPI(origin={self.origin!r})"

    __str__ = __repr__

    @property
    def key_fingerprint(self) -> str:
        """A short one-way tag of the key, to share a rate limit between holders of one key."""
        return hashlib.sha256(b"tiktok-shop-assets:" + self.api_key.encode()).hexdigest()[:12]

    def settings(self, *, force_refresh: bool = False) -> ClientSettings:
        """The client settings this resource describes."""
        from tiktok_assets.api.client import ClientSettings

        return ClientSettings(
            origin=self.origin,
            api_key=self.api_key,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            backoff_seconds=self.backoff_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
            page_size=self.page_size,
            max_pages=self.max_pages,
            max_connections=max(self.max_concurrency * 2, 4),
            force_refresh=force_refresh,
        )

    def client(self, *, force_refresh: bool = False, **hooks: Any) -> TikTokShopClient:
        """A blocking client (a context manager) with the given limiter/journal/budget."""
        from tiktok_assets.api.client import TikTokShopClient

        return TikTokShopClient(self.settings(force_refresh=force_refresh), **hooks)

    def async_client(self, *, force_refresh: bool = False, **hooks: Any) -> AsyncTikTokShopClient:
        """An async client (an async context manager) with the given limiter/journal/budget."""
        from tiktok_assets.api.client import AsyncTikTokShopClient

        return AsyncTikTokShopClient(self.settings(force_refresh=force_refresh), **hooks)

    def _call(self, endpoint: Endpoint, id: str | None, **params: Any) -> Any:
        if self._sync_client is None:
            self._sync_client = self.client()
        return self._sync_client._call(endpoint, id, **params)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._sync_client is not None:
            self._sync_client.close()
            self._sync_client = None
