"""The records of a simulated world: shops, products, creators and videos."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shop:
    """A seller; `rating` in 3.5-5.0."""

    id: str
    name: str
    country: str
    logo: str
    rating: float


@dataclass(frozen=True, slots=True)
class Product:
    """A product of one shop, with the parameters of its daily sales.

    `price` is the price at launch (the only price in the static market).
    """

    id: str
    shop_id: str
    title: str
    noun: str
    price: float
    rating: float
    image: str
    base: float
    weekly: tuple[float, ...]
    zero_prob: float
    season_amp: float
    season_phase: float


@dataclass(frozen=True, slots=True)
class Creator:
    """A creator promoting `product_ids`, taking about `share_pct` percent of their sales."""

    id: str
    name: str
    followers: int
    product_ids: tuple[str, ...]
    share_pct: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Video:
    """A video of one creator about one of that creator's products."""

    id: str
    creator_id: str
    product_id: str
    caption: str
    posted_at: dt.date
    peak: float
    decay: float
    tail: float
    like_rate: float
    comment_rate: float
    share_rate: float
