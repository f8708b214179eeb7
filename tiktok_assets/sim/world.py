"""A deterministic fake TikTok Shop: entities drawn from a seed, daily numbers from hashes.

Pure and in-memory. Daily values are generated in blocks of `BLOCK` days per entity (seeded
by `(seed, kind, id, block)`, so a value depends only on the seed, the entity and the date)
and kept as cumulative sums, which makes any window total two subtractions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tiktok_assets.sim.config import SimConfig

BLOCK = 128
"""Days generated at once per entity."""

VIDEO_POSTED_FROM = dt.date(2025, 5, 1)
VIDEO_POSTED_TO = dt.date(2026, 10, 31)
"""Videos are posted within this fixed range (the world does not depend on `today`)."""

SORT_KEYS: tuple[str, ...] = ("revenue", "sales", "price")
ORDERS: tuple[str, ...] = ("desc", "asc")

_COUNTRIES = ("US", "GB", "ID", "MY", "TH", "VN", "PH", "SG")
_SHOP_ADJ = ("Glow", "Urban", "Happy", "Pure", "Lucky", "Sunny", "Bold", "Fresh", "Cozy", "Wild")
_SHOP_NOUN = ("Beauty", "Home", "Kitchen", "Style", "Pets", "Tech", "Fitness", "Garden", "Kids")
_SHOP_SUFFIX = ("Co.", "Store", "Shop", "Studio", "Market", "Lab")
_PRODUCT_ADJ = (
    "Vitamin C",
    "Hydrating",
    "Portable",
    "Mini",
    "Organic",
    "Wireless",
    "Ultra-Soft",
    "Magnetic",
    "LED",
    "Reusable",
)
_PRODUCT_NOUN = (
    "Serum",
    "Blender",
    "Phone Case",
    "Yoga Mat",
    "Hoodie",
    "Lip Tint",
    "Desk Lamp",
    "Water Bottle",
    "Pet Brush",
    "Earbuds",
)
_HANDLE_FIRST = ("mia", "leo", "ava", "kai", "zoe", "max", "lily", "noah", "ivy", "sam")
_HANDLE_WORD = ("glow", "deals", "finds", "daily", "style", "eats", "tech", "home", "fit")
_CAPTIONS = (
    "This {noun} changed my routine",
    "Honest review: {title}",
    "You need this {noun} #tiktokmademebuyit",
    "Unboxing the {title}",
    "3 ways to use a {noun}",
)


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
    """A product of one shop, with the parameters of its daily sales."""

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


def period_window(period: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last date (inclusive) of the `period` days ending yesterday."""
    if period < 1:
        raise ValueError(f"period must be >= 1, got {period}")
    return today - dt.timedelta(days=period), today - dt.timedelta(days=1)


def _mix(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _cums(count: int) -> list[array[int]]:
    return [array("q", [0]) for _ in range(count)]


class World:
    """Shops, products, creators and videos of one seed, with their daily numbers.

    The `*_detail`, `*_total`, `*_products`, `*_history` and `*_metrics` methods return
    exactly the `data` payload of the matching API route; an unknown id raises `KeyError`.
    """

    def __init__(
        self,
        seed: int = 7,
        shops: int = 12,
        products_per_shop: tuple[int, int] = (8, 60),
        creators: int = 40,
        videos: int = 120,
    ) -> None:
        self.seed = seed
        self._shops: dict[str, Shop] = {}
        self._products: dict[str, Product] = {}
        self._creators: dict[str, Creator] = {}
        self._videos: dict[str, Video] = {}
        self._shop_products: dict[str, list[str]] = {}
        self._product_creators: dict[str, list[str]] = {}
        self._creator_videos: dict[str, list[str]] = {}
        self._build(shops, products_per_shop, creators, videos)
        self._shop_creator_counts = {
            sid: len({c for p in pids for c in self._product_creators[p]})
            for sid, pids in self._shop_products.items()
        }
        self._blocks: dict[tuple[Any, ...], list[array[int]]] = {}
        self._product_rows: Callable[[str, int, int], tuple[tuple[Any, ...], ...]]
        self._product_rows = lru_cache(maxsize=4096)(self._compute_product_rows)
        self._creator_rows: Callable[[str, int, int], tuple[tuple[Any, ...], ...]]
        self._creator_rows = lru_cache(maxsize=4096)(self._compute_creator_rows)

    @classmethod
    def from_config(cls, config: SimConfig) -> World:
        """The world described by a `SimConfig` (seed and sizes)."""
        return cls(
            seed=config.seed,
            shops=config.shops,
            products_per_shop=config.products_per_shop,
            creators=config.creators,
            videos=config.videos,
        )

    # -- construction -------------------------------------------------------------------

    def _build(
        self, shops: int, products_per_shop: tuple[int, int], creators: int, videos: int
    ) -> None:
        rng = random.Random(_mix(self.seed, "world"))
        used: set[str] = set()

        def new_id() -> str:
            while True:
                candidate = str(rng.randrange(10**15, 10**16))
                if candidate not in used:
                    used.add(candidate)
                    return candidate

        for _ in range(shops):
            sid = new_id()
            name = f"{rng.choice(_SHOP_ADJ)} {rng.choice(_SHOP_NOUN)} {rng.choice(_SHOP_SUFFIX)}"
            self._shops[sid] = Shop(
                id=sid,
                name=name,
                country=rng.choice(_COUNTRIES),
                logo=f"https://cdn.example.com/shops/{sid}.png",
                rating=round(rng.uniform(3.5, 5.0), 1),
            )
            self._shop_products[sid] = []
            low, high = products_per_shop
            for _ in range(rng.randint(low, high)):
                self._add_product(rng, new_id(), sid)

        all_products = list(self._products)
        for _ in range(creators):
            cid = new_id()
            count = min(rng.randint(2, 15), len(all_products))
            pids = tuple(rng.sample(all_products, count))
            self._creators[cid] = Creator(
                id=cid,
                name=f"{rng.choice(_HANDLE_FIRST)}{rng.choice(('', '_', '.'))}"
                f"{rng.choice(_HANDLE_WORD)}{rng.randint(1, 99)}",
                followers=int(rng.lognormvariate(10.5, 1.4)),
                product_ids=pids,
                share_pct=tuple(rng.randint(8, 30) for _ in pids),
            )
            self._creator_videos[cid] = []
            for pid in pids:
                self._product_creators[pid].append(cid)

        span = (VIDEO_POSTED_TO - VIDEO_POSTED_FROM).days
        creator_ids = list(self._creators)
        for _ in range(videos):
            vid = new_id()
            creator = self._creators[rng.choice(creator_ids)]
            product = self._products[rng.choice(creator.product_ids)]
            caption = rng.choice(_CAPTIONS).format(noun=product.noun.lower(), title=product.title)
            peak = rng.lognormvariate(10.0, 1.2)
            self._videos[vid] = Video(
                id=vid,
                creator_id=creator.id,
                product_id=product.id,
                caption=caption,
                posted_at=VIDEO_POSTED_FROM + dt.timedelta(days=rng.randint(0, span)),
                peak=peak,
                decay=rng.uniform(0.6, 0.95),
                tail=peak * rng.uniform(0.001, 0.01),
                like_rate=rng.uniform(0.02, 0.09),
                comment_rate=rng.uniform(0.001, 0.004),
                share_rate=rng.uniform(0.002, 0.008),
            )
            self._creator_videos[creator.id].append(vid)

    def _add_product(self, rng: random.Random, pid: str, sid: str) -> None:
        noun = rng.choice(_PRODUCT_NOUN)
        weekend = rng.uniform(1.0, 1.5)
        self._products[pid] = Product(
            id=pid,
            shop_id=sid,
            title=f"{rng.choice(_PRODUCT_ADJ)} {noun}",
            noun=noun,
            price=round(min(max(rng.lognormvariate(3.0, 0.6), 1.99), 499.99), 2),
            rating=round(rng.uniform(3.0, 5.0), 1),
            image=f"https://cdn.example.com/products/{pid}.jpg",
            base=rng.lognormvariate(3.3, 1.0),
            weekly=tuple(
                rng.uniform(0.8, 1.1) * (weekend if day >= 4 else 1.0) for day in range(7)
            ),
            zero_prob=rng.uniform(0.02, 0.12),
            season_amp=rng.uniform(0.0, 0.4),
            season_phase=rng.uniform(0.0, 2 * math.pi),
        )
        self._shop_products[sid].append(pid)
        self._product_creators[pid] = []

    # -- ids and entities ---------------------------------------------------------------

    def shop_ids(self) -> list[str]:
        """All shop ids, in creation order."""
        return list(self._shops)

    def product_ids(self) -> list[str]:
        """All product ids, in creation order."""
        return list(self._products)

    def creator_ids(self) -> list[str]:
        """All creator ids, in creation order."""
        return list(self._creators)

    def video_ids(self) -> list[str]:
        """All video ids, in creation order."""
        return list(self._videos)

    def products_of_shop(self, shop_id: str) -> list[str]:
        """Ids of the products a shop sells."""
        return list(self._shop_products[self.shop(shop_id).id])

    def creators_of_product(self, product_id: str) -> list[str]:
        """Ids of the creators promoting a product."""
        return list(self._product_creators[self.product(product_id).id])

    def videos_of_creator(self, creator_id: str) -> list[str]:
        """Ids of a creator's videos."""
        return list(self._creator_videos[self.creator(creator_id).id])

    def shop(self, shop_id: str) -> Shop:
        """The shop record (`KeyError` if unknown)."""
        return self._shops[shop_id]

    def product(self, product_id: str) -> Product:
        """The product record (`KeyError` if unknown)."""
        return self._products[product_id]

    def creator(self, creator_id: str) -> Creator:
        """The creator record (`KeyError` if unknown)."""
        return self._creators[creator_id]

    def video(self, video_id: str) -> Video:
        """The video record (`KeyError` if unknown)."""
        return self._videos[video_id]

    # -- daily series -------------------------------------------------------------------

    def _product_block(self, pid: str, block: int) -> list[array[int]]:
        key = ("p", pid, block)
        cums = self._blocks.get(key)
        if cums is not None:
            return cums
        p = self._products[pid]
        rng = random.Random(_mix(self.seed, "sales", pid, block))
        cums = _cums(2)
        cum_sales, cum_revenue = cums
        sales_total = revenue_total = 0
        first = block * BLOCK
        for ordinal in range(first, first + BLOCK):
            skip, noise = rng.random(), rng.random()
            if skip < p.zero_prob:
                sales = 0
            else:
                season = 1.0 + p.season_amp * math.sin(ordinal / 58.1 + p.season_phase)
                level = p.base * p.weekly[(ordinal - 1) % 7] * season
                sales = int(level * (0.6 + 0.8 * noise))
            sales_total += sales
            revenue_total += round(sales * p.price)
            cum_sales.append(sales_total)
            cum_revenue.append(revenue_total)
        self._blocks[key] = cums
        return cums

    def _creator_block(self, cid: str, index: int, block: int) -> list[array[int]]:
        creator = self._creators[cid]
        pid = creator.product_ids[index]
        key = ("c", cid, pid, block)
        cums = self._blocks.get(key)
        if cums is not None:
            return cums
        price = self._products[pid].price
        base_pct = creator.share_pct[index]
        product_sales = self._product_block(pid, block)[0]
        rng = random.Random(_mix(self.seed, "share", cid, pid, block))
        cums = _cums(2)
        cum_sales, cum_revenue = cums
        sales_total = revenue_total = 0
        for i in range(BLOCK):
            pct = min(max(base_pct + rng.randint(-3, 10), 5), 40)
            sales = (product_sales[i + 1] - product_sales[i]) * pct // 100
            sales_total += sales
            revenue_total += round(sales * price)
            cum_sales.append(sales_total)
            cum_revenue.append(revenue_total)
        self._blocks[key] = cums
        return cums

    def _video_block(self, vid: str, block: int) -> list[array[int]]:
        key = ("v", vid, block)
        cums = self._blocks.get(key)
        if cums is not None:
            return cums
        v = self._videos[vid]
        posted = v.posted_at.toordinal()
        rng = random.Random(_mix(self.seed, "video", vid, block))
        cums = _cums(4)
        totals = [0, 0, 0, 0]
        first = block * BLOCK
        for ordinal in range(first, first + BLOCK):
            n1, n2, n3, n4 = rng.random(), rng.random(), rng.random(), rng.random()
            age = ordinal - posted
            if age >= 0:
                views = int((v.peak * v.decay**age + v.tail) * (0.7 + 0.6 * n1))
                daily = (
                    views,
                    int(views * v.like_rate * (0.8 + 0.4 * n2)),
                    int(views * v.comment_rate * (0.7 + 0.6 * n3)),
                    int(views * v.share_rate * (0.7 + 0.6 * n4)),
                )
                for j in range(4):
                    totals[j] += daily[j]
            for j in range(4):
                cums[j].append(totals[j])
        self._blocks[key] = cums
        return cums

    @staticmethod
    def _window_sum(
        blocks: Callable[[int], Sequence[array[int]]], first: int, last: int, width: int
    ) -> list[int]:
        sums = [0] * width
        for block in range(first // BLOCK, last // BLOCK + 1):
            cums = blocks(block)
            lo = max(first - block * BLOCK, 0)
            hi = min(last - block * BLOCK + 1, BLOCK)
            for j in range(width):
                sums[j] += cums[j][hi] - cums[j][lo]
        return sums

    def _daily(
        self, blocks: Callable[[int], Sequence[array[int]]], ordinal: int, width: int
    ) -> list[int]:
        cums = blocks(ordinal // BLOCK)
        i = ordinal % BLOCK
        return [cums[j][i + 1] - cums[j][i] for j in range(width)]

    def product_day(self, product_id: str, day: dt.date) -> tuple[int, int]:
        """`(sales, revenue)` of a product on one date."""
        self.product(product_id)
        sales, revenue = self._daily(
            lambda b: self._product_block(product_id, b), day.toordinal(), 2
        )
        return sales, revenue

    def _product_sums(self, pid: str, first: int, last: int) -> tuple[int, int]:
        sales = revenue = 0
        for block in range(first // BLOCK, last // BLOCK + 1):
            cums = self._blocks.get(("p", pid, block)) or self._product_block(pid, block)
            lo = max(first - block * BLOCK, 0)
            hi = min(last - block * BLOCK + 1, BLOCK)
            sales += cums[0][hi] - cums[0][lo]
            revenue += cums[1][hi] - cums[1][lo]
        return sales, revenue

    @staticmethod
    def _ordinals(period: int, today: dt.date) -> tuple[int, int]:
        start, end = period_window(period, today)
        return start.toordinal(), end.toordinal()

    # -- row caches ---------------------------------------------------------------------

    def _compute_product_rows(
        self, shop_id: str, period: int, last: int
    ) -> tuple[tuple[Any, ...], ...]:
        first = last - period + 1
        rows = []
        for pid in self._shop_products[shop_id]:
            p = self._products[pid]
            sales, revenue = self._product_sums(pid, first, last)
            rows.append((pid, p.title, p.price, revenue, sales))
        return tuple(rows)

    def _compute_creator_rows(
        self, creator_id: str, period: int, last: int
    ) -> tuple[tuple[Any, ...], ...]:
        first = last - period + 1
        creator = self._creators[creator_id]
        rows = []
        for index, pid in enumerate(creator.product_ids):
            p = self._products[pid]
            sales, revenue = self._window_sum(
                lambda b, i=index: self._creator_block(creator_id, i, b), first, last, 2
            )
            rows.append((pid, p.title, p.price, revenue, sales))
        return tuple(rows)

    @staticmethod
    def _sorted(rows: Sequence[tuple[Any, ...]], sort: str, order: str) -> list[tuple[Any, ...]]:
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {SORT_KEYS}, got {sort!r}")
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        column = {"price": 2, "revenue": 3, "sales": 4}[sort]
        sign = -1 if order == "desc" else 1
        return sorted(rows, key=lambda row: (sign * row[column], row[0]))

    # -- payloads (the `data` of each route) -------------------------------------------

    def shop_detail(self, shop_id: str) -> dict[str, Any]:
        """`POST /shop-detail`: profile with product and creator counts."""
        s = self.shop(shop_id)
        return {
            "id": s.id,
            "name": s.name,
            "country": s.country,
            "logo": s.logo,
            "products_count": len(self._shop_products[s.id]),
            "creators_count": self._shop_creator_counts[s.id],
            "rating": s.rating,
        }

    def shop_total(self, shop_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`POST /shop-detail/total`: sums over the shop's products for the window."""
        self.shop(shop_id)
        first, last = self._ordinals(period, today)
        rows = self._product_rows(shop_id, period, last)
        revenue = sum(row[3] for row in rows)
        sales = sum(row[4] for row in rows)
        unit = _mix(self.seed, "conversion", shop_id, period, first) / 2**64
        return {
            "revenue": revenue,
            "sales": sales,
            "avg_price": round(revenue / sales, 2) if sales else 0.0,
            "conversion_rate": round(0.01 + 0.07 * unit, 3),
            "period": period,
        }

    def shop_products(
        self,
        shop_id: str,
        period: int,
        today: dt.date,
        sort: str = "revenue",
        order: str = "desc",
    ) -> list[dict[str, Any]]:
        """`POST /shop-detail/product/queryList`: the whole sorted list (ties by id asc)."""
        self.shop(shop_id)
        _, last = self._ordinals(period, today)
        rows = self._sorted(self._product_rows(shop_id, period, last), sort, order)
        keys = ("id", "title", "price", "revenue", "sales")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def product_detail(self, product_id: str, today: dt.date) -> dict[str, Any]:
        """`GET /product-detail/{id}`: profile with its period-30 revenue and sales."""
        p = self.product(product_id)
        total = self.product_total(product_id, 30, today)
        return {
            "id": p.id,
            "title": p.title,
            "shop_id": p.shop_id,
            "price": p.price,
            "revenue": total["revenue"],
            "sales": total["sales"],
            "rating": p.rating,
            "image": p.image,
        }

    def product_total(self, product_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`POST /product-detail/total`: sums of its history for the window."""
        self.product(product_id)
        first, last = self._ordinals(period, today)
        sales, revenue = self._product_sums(product_id, first, last)
        return {
            "revenue": revenue,
            "sales": sales,
            "avg_price": round(revenue / sales, 2) if sales else 0.0,
            "period": period,
        }

    def product_history(self, product_id: str, period: int, today: dt.date) -> list[dict[str, Any]]:
        """`POST /product-detail/history`: one row per date of the window, ascending."""
        self.product(product_id)
        first, last = self._ordinals(period, today)
        rows = []
        for ordinal in range(first, last + 1):
            sales, revenue = self._daily(lambda b: self._product_block(product_id, b), ordinal, 2)
            date = dt.date.fromordinal(ordinal).isoformat()
            rows.append({"date": date, "revenue": revenue, "sales": sales})
        return rows

    def creator_total(self, creator_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`POST /creator-detail/total`: sums of its searchProducts rows, videos, followers."""
        c = self.creator(creator_id)
        _, last = self._ordinals(period, today)
        rows = self._creator_rows(creator_id, period, last)
        return {
            "revenue": sum(row[3] for row in rows),
            "sales": sum(row[4] for row in rows),
            "videos": len(self._creator_videos[c.id]),
            "followers": c.followers,
            "period": period,
        }

    def creator_products(
        self,
        creator_id: str,
        period: int,
        today: dt.date,
        sort: str = "revenue",
        order: str = "desc",
    ) -> list[dict[str, Any]]:
        """`POST /creator-detail/searchProducts`: the creator's attributed sales per product."""
        self.creator(creator_id)
        _, last = self._ordinals(period, today)
        rows = self._sorted(self._creator_rows(creator_id, period, last), sort, order)
        return [
            {"id": pid, "title": title, "revenue": revenue, "sales": sales}
            for pid, title, _, revenue, sales in rows
        ]

    def video_detail(self, video_id: str) -> dict[str, Any]:
        """`GET /api/v2/videos/{id}`: metadata."""
        v = self.video(video_id)
        return {
            "id": v.id,
            "caption": v.caption,
            "creator_id": v.creator_id,
            "product_id": v.product_id,
            "posted_at": v.posted_at.isoformat(),
        }

    def video_metrics(self, video_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`GET /api/v2/videos/{id}/metrics`: sums of daily metrics (zero before posting)."""
        self.video(video_id)
        first, last = self._ordinals(period, today)
        views, likes, comments, shares = self._window_sum(
            lambda b: self._video_block(video_id, b), first, last, 4
        )
        return {
            "views": views,
            "likes": likes,
            "comments": comments,
            "shares": shares,
            "period": period,
        }

    def video_day(self, video_id: str, day: dt.date) -> dict[str, int]:
        """Views, likes, comments and shares of a video on one date."""
        self.video(video_id)
        values = self._daily(lambda b: self._video_block(video_id, b), day.toordinal(), 4)
        return dict(zip(("views", "likes", "comments", "shares"), values, strict=True))

    def ids(self) -> dict[str, list[str]]:
        """All ids by kind (the `/_sim/world` answer)."""
        return {
            "shops": self.shop_ids(),
            "products": self.product_ids(),
            "creators": self.creator_ids(),
            "videos": self.video_ids(),
        }
