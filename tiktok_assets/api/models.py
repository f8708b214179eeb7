"""Typed records of the API's answers.

Each record keeps the fields the vendor documents, tolerates missing optional ones (None)
and keeps whatever else the object carried in `extra`, so a field the vendor adds later is
not lost. `raw` is the object exactly as it arrived.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, ClassVar, Self, TypeVar, get_type_hints

from tiktok_assets.api.errors import BadResponse


class ShapeError(ValueError):
    """An object does not have the documented shape; the client turns it into BadResponse."""


def _coerce(name: str, value: Any, kind: type) -> Any:
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif kind is dt.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise ShapeError(f"field {name!r} should be {kind.__name__}, got {value!r:.80}")


@dataclasses.dataclass(frozen=True)
class Record:
    """Base of every record: documented fields plus `extra` and `raw`."""

    REQUIRED: ClassVar[frozenset[str]] = frozenset()

    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, kw_only=True)
    raw: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, kw_only=True)

    @classmethod
    def documented_fields(cls) -> list[str]:
        """The vendor's field names, in the documented order."""
        return [f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "raw")]

    @classmethod
    def from_payload(cls, payload: Any) -> Self:
        """Build the record from one JSON object, or raise ShapeError."""
        if not isinstance(payload, dict):
            raise ShapeError(f"expected a JSON object, got {type(payload).__name__}")
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for name in cls.documented_fields():
            value = payload.get(name)
            if value is None:
                if name in cls.REQUIRED:
                    raise ShapeError(f"required field {name!r} is missing")
                values[name] = None
                continue
            kind = next(t for t in hints[name].__args__ if t is not type(None))
            values[name] = _coerce(name, value, kind)
        known = set(values)
        extra = {k: v for k, v in payload.items() if k not in known}
        return cls(**values, extra=extra, raw=payload)

    def as_row(self) -> dict[str, Any]:
        """The documented fields as a flat dict."""
        return {name: getattr(self, name) for name in self.documented_fields()}


@dataclasses.dataclass(frozen=True)
class ShopDetail(Record):
    """A shop's profile."""

    REQUIRED = frozenset({"id"})
    id: str | None = None
    name: str | None = None
    country: str | None = None
    logo: str | None = None
    products_count: int | None = None
    creators_count: int | None = None
    rating: float | None = None


@dataclasses.dataclass(frozen=True)
class ShopTotal(Record):
    """A shop's performance over a period (a rolling window ending yesterday)."""

    REQUIRED = frozenset({"revenue", "sales"})
    revenue: float | None = None
    sales: int | None = None
    avg_price: float | None = None
    conversion_rate: float | None = None
    period: int | None = None


@dataclasses.dataclass(frozen=True)
class ShopProduct(Record):
    """One product in a shop's ranked product list."""

    REQUIRED = frozenset({"id"})
    id: str | None = None
    title: str | None = None
    price: float | None = None
    revenue: float | None = None
    sales: int | None = None


@dataclasses.dataclass(frozen=True)
class ProductDetail(Record):
    """A product's profile."""

    REQUIRED = frozenset({"id"})
    id: str | None = None
    title: str | None = None
    shop_id: str | None = None
    price: float | None = None
    revenue: float | None = None
    sales: int | None = None
    rating: float | None = None
    image: str | None = None


@dataclasses.dataclass(frozen=True)
class ProductTotal(Record):
    """A product's totals over a period."""

    REQUIRED = frozenset({"revenue", "sales"})
    revenue: float | None = None
    sales: int | None = None
    avg_price: float | None = None
    period: int | None = None


@dataclasses.dataclass(frozen=True)
class ProductDay(Record):
    """One day of a product's sales history."""

    REQUIRED = frozenset({"date"})
    date: dt.date | None = None
    revenue: float | None = None
    sales: int | None = None


@dataclasses.dataclass(frozen=True)
class CreatorTotal(Record):
    """A creator's totals over a period."""

    REQUIRED = frozenset({"revenue", "sales"})
    revenue: float | None = None
    sales: int | None = None
    videos: int | None = None
    followers: int | None = None
    period: int | None = None


@dataclasses.dataclass(frozen=True)
class CreatorProduct(Record):
    """One product a creator promotes, with what the creator sold of it over the period."""

    REQUIRED = frozenset({"id"})
    id: str | None = None
    title: str | None = None
    revenue: float | None = None
    sales: int | None = None


@dataclasses.dataclass(frozen=True)
class VideoDetail(Record):
    """A video's metadata: who posted it and which product it promotes."""

    REQUIRED = frozenset({"id"})
    id: str | None = None
    caption: str | None = None
    creator_id: str | None = None
    product_id: str | None = None
    posted_at: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class VideoMetrics(Record):
    """A video's engagement over a period."""

    REQUIRED = frozenset({"views"})
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    period: int | None = None


R = TypeVar("R", bound=Record)


@dataclasses.dataclass(frozen=True)
class Credits(Record):
    """The key's credit account for this month."""

    used: int | None = None
    limit: int | None = None
    remaining: int | None = None


def parse_record(cls: type[R], payload: Any, *, route: str, id: str | None) -> R:
    """`cls.from_payload` that reports a bad shape as BadResponse for this route and id."""
    try:
        return cls.from_payload(payload)
    except ShapeError as exc:
        raise BadResponse(f"malformed {cls.__name__}: {exc}", route=route, id=id) from None
