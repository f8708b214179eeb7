"""The TikTok Shop analytics API: endpoints, typed records, errors and the HTTP client."""

from tiktok_assets.api.client import (
    AsyncTikTokShopClient,
    ClientSettings,
    RankedList,
    TikTokShopClient,
    Usage,
    track_usage,
)
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
