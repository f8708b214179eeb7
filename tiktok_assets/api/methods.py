"""`EndpointMethods`: one keyword-only method per endpoint, shared by the clients and the
resource, and `RankedList`, what list routes return. Free of httpx, so that the resource
class (which the assets name) loads without the HTTP stack."""

from __future__ import annotations

import dataclasses
from typing import Any, Generic, TypeVar

from tiktok_assets.api import endpoints as ep
from tiktok_assets.api import models

T = TypeVar("T", bound=models.Record)


@dataclasses.dataclass(frozen=True)
class RankedList(Generic[T]):
    """All pages of a list route, in the server's order, with the server's `total`."""

    items: list[T]
    total: int | None


class EndpointMethods:
    """One keyword-only method per endpoint; subclasses provide `_call`.

    On the async client each method returns an awaitable of the same record.
    """

    def _call(self, endpoint: ep.Endpoint, id: str | None, **params: Any) -> Any:
        raise NotImplementedError

    def fetch(self, endpoint: ep.Endpoint, *, id: str | None, **params: Any) -> Any:
        """Call any endpoint by its spec (what the assets use)."""
        return self._call(endpoint, id, **params)

    def shop_detail(self, *, id: str, country: str | None = None) -> models.ShopDetail:
        """POST shop-detail: a shop's profile."""
        return self._call(ep.SHOP_DETAIL, id, country=country)

    def shop_total(self, *, id: str, period: int = ep.DEFAULT_PERIOD) -> models.ShopTotal:
        """POST shop-detail/total: a shop's totals over `period` days."""
        return self._call(ep.SHOP_TOTAL, id, period=period)

    def shop_products(
        self,
        *,
        id: str,
        period: int = ep.DEFAULT_PERIOD,
        sort: str = "revenue",
        order: str = "desc",
    ) -> RankedList[models.ShopProduct]:
        """POST shop-detail/product/queryList: the shop's whole ranked product list."""
        return self._call(ep.SHOP_PRODUCTS, id, period=period, sort=sort, order=order)

    def product_detail(self, *, id: str) -> models.ProductDetail:
        """GET product-detail/{id}: a product's profile."""
        return self._call(ep.PRODUCT_DETAIL, id)

    def product_total(self, *, id: str, period: int = ep.DEFAULT_PERIOD) -> models.ProductTotal:
        """POST product-detail/total: a product's totals over `period` days."""
        return self._call(ep.PRODUCT_TOTAL, id, period=period)

    def product_history(
        self, *, id: str, period: int = ep.DEFAULT_PERIOD
    ) -> list[models.ProductDay]:
        """POST product-detail/history: one row per day of the period."""
        return self._call(ep.PRODUCT_HISTORY, id, period=period)

    def creator_total(self, *, id: str, period: int = ep.DEFAULT_PERIOD) -> models.CreatorTotal:
        """POST creator-detail/total: a creator's totals over `period` days."""
        return self._call(ep.CREATOR_TOTAL, id, period=period)

    def creator_products(
        self, *, id: str, period: int = ep.DEFAULT_PERIOD
    ) -> RankedList[models.CreatorProduct]:
        """POST creator-detail/searchProducts: every product the creator promotes."""
        return self._call(ep.CREATOR_PRODUCTS, id, period=period)

    def video_detail(self, *, id: str) -> models.VideoDetail:
        """GET /api/v2/videos/{id}: a video's metadata."""
        return self._call(ep.VIDEO_DETAIL, id)

    def video_metrics(self, *, id: str, period: int = ep.DEFAULT_PERIOD) -> models.VideoMetrics:
        """GET /api/v2/videos/{id}/metrics: views, likes, comments, shares over the period."""
        return self._call(ep.VIDEO_METRICS, id, period=period)

    def credits(self) -> models.Credits:
        """GET credits: the account's credits (costs one credit itself)."""
        return self._call(ep.CREDITS, None)
