"""The TikTok Shop analytics API: endpoints, typed records, errors and the HTTP client.

The client's names (`TikTokShopClient`, ...) are imported from `tiktok_assets.api.client` on
first use, so that importing an endpoint or an error does not load httpx.
"""

from typing import Any

from tiktok_assets.api.endpoints import ENDPOINTS, ApiRequest, Endpoint, build_request
from tiktok_assets.api.errors import (
    BadRequest,
    BadResponse,
    CreditBudgetExceeded,
    CreditLimitReached,
    Forbidden,
    InvalidId,
    NotFound,
    RateLimited,
    ServerError,
    TikTokAPIError,
    TransportError,
    Unauthorized,
)
from tiktok_assets.api.hooks import (
    CallRecord,
    CreditBudget,
    RateLimiter,
    RequestJournal,
)
from tiktok_assets.api.ids import is_valid_id, validate_id
from tiktok_assets.api.methods import RankedList

_CLIENT_NAMES = (
    "AsyncTikTokShopClient",
    "ClientSettings",
    "TikTokShopClient",
    "Usage",
    "track_usage",
)


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from tiktok_assets.api import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ENDPOINTS",
    "ApiRequest",
    "AsyncTikTokShopClient",
    "BadRequest",
    "BadResponse",
    "CallRecord",
    "ClientSettings",
    "CreditBudget",
    "CreditBudgetExceeded",
    "CreditLimitReached",
    "Endpoint",
    "Forbidden",
    "InvalidId",
    "NotFound",
    "RankedList",
    "RateLimited",
    "RateLimiter",
    "RequestJournal",
    "ServerError",
    "TikTokAPIError",
    "TikTokShopClient",
    "TransportError",
    "Unauthorized",
    "Usage",
    "build_request",
    "is_valid_id",
    "track_usage",
    "validate_id",
]
