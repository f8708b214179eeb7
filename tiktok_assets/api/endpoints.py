"""The vendor's ten endpoints, as data: method, path, parameters and the record they return.

An `ApiRequest` is one HTTP request in canonical form; its `params_key` is what the request
journal matches on, so the same request made twice is recognised whatever the call order.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

from tiktok_assets.api import models
from tiktok_assets.api.errors import BadRequest
from tiktok_assets.api.ids import validate_id
from tiktok_assets.names import AGGREGATE_PERIODS, VIDEO_PERIODS

DEFAULT_PERIOD = 30


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One route of the API."""

    name: str
    method: Literal["GET", "POST"]
    path: str
    group: Literal["shops", "products", "creators", "videos", "credits"]
    record: type[models.Record]
    periods: tuple[int, ...] = ()
    paged: bool = False
    returns_list: bool = False
    takes_id: bool = True

    @property
    def route(self) -> str:
        """`METHOD path` as written in the vendor's documentation."""
        return f"{self.method} {self.path}"


SHOP_DETAIL = Endpoint(
    "shop_detail", "POST", "/api/v1/tiktok-shop/shop-detail", "shops", models.ShopDetail
)
SHOP_TOTAL = Endpoint(
    "shop_total",
    "POST",
    "/api/v1/tiktok-shop/shop-detail/total",
    "shops",
    models.ShopTotal,
    periods=AGGREGATE_PERIODS,
)
SHOP_PRODUCTS = Endpoint(
    "shop_products",
    "POST",
    "/api/v1/tiktok-shop/shop-detail/product/queryList",
    "shops",
    models.ShopProduct,
    periods=AGGREGATE_PERIODS,
    paged=True,
    returns_list=True,
)
PRODUCT_DETAIL = Endpoint(
    "product_detail",
    "GET",
    "/api/v1/tiktok-shop/product-detail/{id}",
    "products",
    models.ProductDetail,
)
PRODUCT_TOTAL = Endpoint(
    "product_total",
    "POST",
    "/api/v1/tiktok-shop/product-detail/total",
    "products",
    models.ProductTotal,
    periods=AGGREGATE_PERIODS,
)
PRODUCT_HISTORY = Endpoint(
    "product_history",
    "POST",
    "/api/v1/tiktok-shop/product-detail/history",
    "products",
    models.ProductDay,
    periods=AGGREGATE_PERIODS,
    returns_list=True,
)
CREATOR_TOTAL = Endpoint(
    "creator_total",
    "POST",
    "/api/v1/tiktok-shop/creator-detail/total",
    "creators",
    models.CreatorTotal,
    periods=AGGREGATE_PERIODS,
)
CREATOR_PRODUCTS = Endpoint(
    "creator_products",
    "POST",
    "/api/v1/tiktok-shop/creator-detail/searchProducts",
    "creators",
    models.CreatorProduct,
    periods=AGGREGATE_PERIODS,
    paged=True,
    returns_list=True,
)
VIDEO_DETAIL = Endpoint("video_detail", "GET", "/api/v2/videos/{id}", "videos", models.VideoDetail)
VIDEO_METRICS = Endpoint(
    "video_metrics",
    "GET",
    "/api/v2/videos/{id}/metrics",
    "videos",
    models.VideoMetrics,
    periods=VIDEO_PERIODS,
)
CREDITS = Endpoint(
    "credits", "GET", "/api/v1/tiktok-shop/credits", "credits", models.Credits, takes_id=False
)

ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        SHOP_DETAIL,
        SHOP_TOTAL,
        SHOP_PRODUCTS,
        PRODUCT_DETAIL,
        PRODUCT_TOTAL,
        PRODUCT_HISTORY,
        CREATOR_TOTAL,
        CREATOR_PRODUCTS,
        VIDEO_DETAIL,
        VIDEO_METRICS,
        CREDITS,
    )
}


@dataclasses.dataclass(frozen=True)
class ApiRequest:
    """One HTTP request in canonical form (the key is never part of it)."""

    endpoint: Endpoint
    id: str | None
    params: tuple[tuple[str, Any], ...]

    @property
    def route(self) -> str:
        return self.endpoint.route

    @property
    def params_key(self) -> str:
        """Canonical JSON of id and parameters, the journal's match key."""
        return json.dumps({"id": self.id, **dict(self.params)}, sort_keys=True)

    @property
    def page(self) -> int | None:
        return dict(self.params).get("page")

    def http_parts(self) -> tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]:
        """(method, path, JSON body, query parameters) to send."""
        e = self.endpoint
        params = dict(self.params)
        if e.method == "GET":
            path = e.path.format(id=self.id) if e.takes_id else e.path
            return e.method, path, None, params or None
        return e.method, e.path, {"id": self.id, **params}, None


def build_request(endpoint: Endpoint, id: str | None = None, **params: Any) -> ApiRequest:
    """Validate id and parameters for `endpoint` and return the canonical request."""
    if endpoint.takes_id:
        id = validate_id(id, route=endpoint.route)
    period = params.get("period")
    if period is not None and period not in endpoint.periods:
        raise BadRequest(
            f"period {period!r} is not one of {endpoint.periods}", route=endpoint.route, id=id
        )
    clean = tuple(sorted((k, v) for k, v in params.items() if v is not None))
    return ApiRequest(endpoint, id, clean)
