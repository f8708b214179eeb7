"""A deterministic fake TikTok Shop: entities drawn from a seed, daily numbers from hashes.

Pure and in-memory. Daily values are generated in blocks of `BLOCK` days per entity (seeded
by `(seed, kind, id, block)`, so a value depends only on the seed, the entity and the date)
and kept as cumulative sums, which makes any window total two subtractions.

Two markets: `static` (every entity exists forever, prices never change, each day's numbers
are final at once) and `living` (launches, lifecycles, price steps, promotion and posting
dates, late corrections: see `tiktok_assets.sim.living`). Both draw the same entities.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from array import array
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from tiktok_assets.sim.config import SimConfig, check_list_lag, check_market
from tiktok_assets.sim.entities import Creator, Product, Shop, Video
from tiktok_assets.sim.living import Lifecycle, LivingMarket, Market
from tiktok_assets.sim.seeds import mix
from tiktok_assets.sim.series import BLOCK, Blocks, daily, new_cums, window_sum

__all__ = [
    "BLOCK",
    "ORDERS",
    "SORT_KEYS",
    "Creator",
    "Product",
    "Shop",
    "Video",
    "World",
    "period_window",
]

VIDEO_POSTED_FROM = dt.date(2025, 5, 1)
VIDEO_POSTED_TO = dt.date(2026, 10, 31)
"""Videos are posted within this fixed range in the static market."""

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

Row = tuple[Any, ...]
"""A list row: `(id, title, price, revenue, sales)`."""


def period_window(period: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last date (inclusive) of the `period` days ending yesterday."""
    if period < 1:
        raise ValueError(f"period must be >= 1, got {period}")
    return today - dt.timedelta(days=period), today - dt.timedelta(days=1)


def _check_as_of(day: dt.date, as_of: dt.date | None) -> None:
    if as_of is not None and as_of <= day:
        raise ValueError(f"data of {day} is answered from the day after it on, not on {as_of}")


class World:
    """Shops, products, creators and videos of one seed, with their daily numbers.

    The `*_detail`, `*_total`, `*_products`, `*_history` and `*_metrics` methods return
    exactly the `data` payload of the matching API route on day `today`; an unknown id
    raises `KeyError` (in the living market, so does a product not launched yet or a video
    not posted yet on `today`).

    `list_lag_days` (settable at any time) makes the two list routes stale: on day `t` their
    revenue and sales are what the totals answered on day `t - list_lag_days` (the window
    ending `t - 1 - list_lag_days`); which products are listed, and their prices, are still
    those of day `t`.
    """

    def __init__(
        self,
        seed: int = 7,
        shops: int = 12,
        products_per_shop: tuple[int, int] = (8, 60),
        creators: int = 40,
        videos: int = 120,
        market: str = "static",
        list_lag_days: int = 0,
    ) -> None:
        self.seed = seed
        self.market: Market = check_market(market)
        self._list_lag_days = check_list_lag(list_lag_days)
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
        self._living: LivingMarket | None = None
        if market == "living":
            self._living = LivingMarket(seed, self._products, self._creators, self._videos)
            for vid, posted in self._living.posted.items():
                self._videos[vid] = dataclasses.replace(self._videos[vid], posted_at=posted)
        self._blocks: dict[tuple[Any, ...], list[array[int]]] = {}
        self._product_rows: Callable[[str, int, int], tuple[Row, ...]]
        self._product_rows = lru_cache(maxsize=4096)(self._compute_product_rows)
        self._creator_rows: Callable[[str, int, int], tuple[Row, ...]]
        self._creator_rows = lru_cache(maxsize=4096)(self._compute_creator_rows)
        self._living_shop_rows: Callable[[str, int, int, int], tuple[Row, ...]]
        self._living_shop_rows = lru_cache(maxsize=4096)(self._compute_living_shop_rows)
        self._living_creator_rows: Callable[[str, int, int, int], tuple[Row, ...]]
        self._living_creator_rows = lru_cache(maxsize=4096)(self._compute_living_creator_rows)

    @property
    def list_lag_days(self) -> int:
        """Days the two list routes lag behind the totals (see the class docstring)."""
        return self._list_lag_days

    @list_lag_days.setter
    def list_lag_days(self, days: int) -> None:
        self._list_lag_days = check_list_lag(days)

    @classmethod
    def from_config(cls, config: SimConfig) -> World:
        """The world described by a `SimConfig` (seed, sizes, market and list lag)."""
        return cls(
            seed=config.seed,
            shops=config.shops,
            products_per_shop=config.products_per_shop,
            creators=config.creators,
            videos=config.videos,
            market=config.market,
            list_lag_days=config.list_lag_days,
        )

    # -- construction -------------------------------------------------------------------

    def _build(
        self, shops: int, products_per_shop: tuple[int, int], creators: int, videos: int
    ) -> None:
        rng = random.Random(mix(self.seed, "world"))
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
        """All product ids (launched or not), in creation order."""
        return list(self._products)

    def creator_ids(self) -> list[str]:
        """All creator ids, in creation order."""
        return list(self._creators)

    def video_ids(self) -> list[str]:
        """All video ids (posted or not), in creation order."""
        return list(self._videos)

    def products_of_shop(self, shop_id: str, today: dt.date | None = None) -> list[str]:
        """Ids of the products a shop sells (on sale on `today` if given, else all)."""
        pids = self._shop_products[self.shop(shop_id).id]
        if today is None or self._living is None:
            return list(pids)
        return [pid for pid in pids if self.is_launched(pid, today)]

    def creators_of_product(self, product_id: str, today: dt.date | None = None) -> list[str]:
        """Ids of the creators promoting a product (already on `today` if given, else all)."""
        cids = self._product_creators[self.product(product_id).id]
        if today is None or self._living is None:
            return list(cids)
        return [cid for cid in cids if self.link_start(cid, product_id) <= today]

    def products_of_creator(self, creator_id: str, today: dt.date | None = None) -> list[str]:
        """Ids of the products a creator promotes (already on `today` if given, else all)."""
        pids = self.creator(creator_id).product_ids
        if today is None or self._living is None:
            return list(pids)
        return [pid for pid in pids if self.link_start(creator_id, pid) <= today]

    def videos_of_creator(self, creator_id: str, today: dt.date | None = None) -> list[str]:
        """Ids of a creator's videos (posted on or before `today` if given, else all)."""
        vids = self._creator_videos[self.creator(creator_id).id]
        if today is None or self._living is None:
            return list(vids)
        return [vid for vid in vids if self._videos[vid].posted_at <= today]

    def shop(self, shop_id: str) -> Shop:
        """The shop record (`KeyError` if unknown)."""
        return self._shops[shop_id]

    def product(self, product_id: str) -> Product:
        """The product record, launched or not (`KeyError` if unknown)."""
        return self._products[product_id]

    def creator(self, creator_id: str) -> Creator:
        """The creator record (`KeyError` if unknown)."""
        return self._creators[creator_id]

    def video(self, video_id: str) -> Video:
        """The video record, posted or not (`KeyError` if unknown)."""
        return self._videos[video_id]

    def product_as_of(self, product_id: str, today: dt.date) -> Product:
        """The product record if the API knows it on `today` (`KeyError` if not launched)."""
        product = self.product(product_id)
        if not self.is_launched(product_id, today):
            raise KeyError(product_id)
        return product

    def video_as_of(self, video_id: str, today: dt.date) -> Video:
        """The video record if the API knows it on `today` (`KeyError` if posted later)."""
        video = self.video(video_id)
        if self._living is not None and video.posted_at > today:
            raise KeyError(video_id)
        return video

    # -- the market of a day (truth for tests and benchmarks; not API routes) -------------

    def launch_date(self, product_id: str) -> dt.date:
        """The date the product goes on sale (`dt.date.min` in the static market)."""
        self.product(product_id)
        if self._living is None:
            return dt.date.min
        return self._living.lifecycles[product_id].launch

    def is_launched(self, product_id: str, today: dt.date) -> bool:
        """Whether the product is on sale on `today` (launched on or before it)."""
        return self.launch_date(product_id) <= today

    def launched_products(self, today: dt.date) -> list[str]:
        """Ids of every product on sale on `today`, in creation order."""
        if self._living is None:
            return self.product_ids()
        ordinal = today.toordinal()
        launch = self._living.launch_ordinal
        return [pid for pid in self._products if launch(pid) <= ordinal]

    def launches(self, first: dt.date, last: dt.date) -> list[str]:
        """Ids of the products launched between `first` and `last` (inclusive)."""
        if self._living is None:
            return []
        lo, hi = first.toordinal(), last.toordinal()
        launch = self._living.launch_ordinal
        return [pid for pid in self._products if lo <= launch(pid) <= hi]

    def lifecycle(self, product_id: str) -> Lifecycle | None:
        """The product's launch, fate, curve and viral episodes (`None` if static)."""
        self.product(product_id)
        return None if self._living is None else self._living.lifecycles[product_id]

    def price_on(self, product_id: str, day: dt.date) -> float:
        """The product's price on `day` (its launch price before launch)."""
        p = self.product(product_id)
        if self._living is None:
            return p.price
        return self._living.price(product_id, day.toordinal())

    def link_start(self, creator_id: str, product_id: str) -> dt.date:
        """The date the creator starts promoting the product (`dt.date.min` if static).

        `KeyError` if the creator never promotes it.
        """
        if product_id not in self.creator(creator_id).product_ids:
            raise KeyError(product_id)
        if self._living is None:
            return dt.date.min
        return self._living.link_starts[(creator_id, product_id)]

    def posted_videos(self, today: dt.date) -> list[str]:
        """Ids of the videos posted on or before `today`, in creation order."""
        return [
            vid for vid, v in self._videos.items() if self._living is None or v.posted_at <= today
        ]

    def product_day(
        self, product_id: str, day: dt.date, as_of: dt.date | None = None
    ) -> tuple[int, int]:
        """`(sales, revenue)` of a product on one date: the final values, or as answered on
        day `as_of` (after `day`; provisional for up to `SETTLE_DAYS` days when living)."""
        self.product(product_id)
        _check_as_of(day, as_of)
        if self._living is None:
            sales, revenue = daily(lambda b: self._product_block(product_id, b), day.toordinal(), 2)
            return sales, revenue
        answer = None if as_of is None else as_of.toordinal()
        return self._living.product_daily(product_id, day.toordinal(), answer)

    def creator_day(
        self, creator_id: str, product_id: str, day: dt.date, as_of: dt.date | None = None
    ) -> tuple[int, int]:
        """`(sales, revenue)` credited to a creator for one product on one date: the final
        values, or as answered on day `as_of` (after `day`). `KeyError` if the creator never
        promotes the product."""
        self.link_start(creator_id, product_id)
        _check_as_of(day, as_of)
        index = self.creator(creator_id).product_ids.index(product_id)
        if self._living is None:
            sales, revenue = daily(
                lambda b: self._creator_block(creator_id, index, b), day.toordinal(), 2
            )
            return sales, revenue
        answer = None if as_of is None else as_of.toordinal()
        return self._living.creator_daily(creator_id, index, day.toordinal(), answer)

    def top_products(
        self, period: int, today: dt.date, limit: int = 100, sort: str = "revenue"
    ) -> list[str]:
        """Ids of the `limit` products of the whole market with the highest `period`-day
        revenue (or sales) as answered on `today` (ties by id ascending)."""
        if sort not in ("revenue", "sales"):
            raise ValueError(f"sort must be revenue or sales, got {sort!r}")
        ranked = sorted(
            (-self.product_total(pid, period, today)[sort], pid)
            for pid in self.launched_products(today)
        )
        return [pid for _, pid in ranked[:limit]]

    # -- daily series -------------------------------------------------------------------

    def _product_block(self, pid: str, block: int) -> list[array[int]]:
        key = ("p", pid, block)
        cums = self._blocks.get(key)
        if cums is not None:
            return cums
        p = self._products[pid]
        rng = random.Random(mix(self.seed, "sales", pid, block))
        cums = new_cums(2)
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
        rng = random.Random(mix(self.seed, "share", cid, pid, block))
        cums = new_cums(2)
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
        rng = random.Random(mix(self.seed, "video", vid, block))
        cums = new_cums(4)
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

    def _compute_product_rows(self, shop_id: str, period: int, last: int) -> tuple[Row, ...]:
        first = last - period + 1
        rows = []
        for pid in self._shop_products[shop_id]:
            p = self._products[pid]
            sales, revenue = self._product_sums(pid, first, last)
            rows.append((pid, p.title, p.price, revenue, sales))
        return tuple(rows)

    def _compute_creator_rows(self, creator_id: str, period: int, last: int) -> tuple[Row, ...]:
        first = last - period + 1
        creator = self._creators[creator_id]
        rows = []
        for index, pid in enumerate(creator.product_ids):
            p = self._products[pid]
            blocks = self._creator_blocks(creator_id, index)
            sales, revenue = window_sum(blocks, first, last, 2)
            rows.append((pid, p.title, p.price, revenue, sales))
        return tuple(rows)

    def _creator_blocks(self, creator_id: str, index: int) -> Blocks:
        return lambda b: self._creator_block(creator_id, index, b)

    def _compute_living_shop_rows(
        self, shop_id: str, period: int, today: int, lag: int
    ) -> tuple[Row, ...]:
        """Rows of the shop's products on sale on day `today`, with their revenue and sales
        as the totals answered them on day `today - lag`."""
        market = self._living
        assert market is not None
        answer = today - lag
        first, last = answer - period, answer - 1
        rows = []
        for pid in self._shop_products[shop_id]:
            if market.launch_ordinal(pid) > today:
                continue
            sales, revenue = market.product_sums(pid, first, last, answer)
            rows.append((pid, self._products[pid].title, market.price(pid, today), revenue, sales))
        return tuple(rows)

    def _compute_living_creator_rows(
        self, creator_id: str, period: int, today: int, lag: int
    ) -> tuple[Row, ...]:
        """Rows of the products the creator promotes on day `today`, with their credited
        revenue and sales as answered on day `today - lag`."""
        market = self._living
        assert market is not None
        answer = today - lag
        first, last = answer - period, answer - 1
        rows = []
        for index, pid in enumerate(self._creators[creator_id].product_ids):
            if market.link_ordinal(creator_id, pid) > today:
                continue
            sales, revenue = market.creator_sums(creator_id, index, first, last, answer)
            rows.append((pid, self._products[pid].title, market.price(pid, today), revenue, sales))
        return tuple(rows)

    def _shop_rows(self, shop_id: str, period: int, today: dt.date, lag: int) -> tuple[Row, ...]:
        """The shop's list rows on `today`, their windows `lag` days late."""
        _, last = self._ordinals(period, today - dt.timedelta(days=lag))
        if self._living is None:
            return self._product_rows(shop_id, period, last)
        return self._living_shop_rows(shop_id, period, today.toordinal(), lag)

    def _creator_list_rows(
        self, creator_id: str, period: int, today: dt.date, lag: int
    ) -> tuple[Row, ...]:
        """The creator's list rows on `today`, their windows `lag` days late."""
        _, last = self._ordinals(period, today - dt.timedelta(days=lag))
        if self._living is None:
            return self._creator_rows(creator_id, period, last)
        return self._living_creator_rows(creator_id, period, today.toordinal(), lag)

    @staticmethod
    def _sorted(rows: Sequence[Row], sort: str, order: str) -> list[Row]:
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {SORT_KEYS}, got {sort!r}")
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        column = {"price": 2, "revenue": 3, "sales": 4}[sort]
        sign = -1 if order == "desc" else 1
        return sorted(rows, key=lambda row: (sign * row[column], row[0]))

    def _require_day(self, today: dt.date | None) -> dt.date | None:
        if today is None and self._living is not None:
            raise ValueError("the living market answers for a day: pass `today`")
        return today

    # -- payloads (the `data` of each route) -------------------------------------------

    def shop_detail(self, shop_id: str, today: dt.date | None = None) -> dict[str, Any]:
        """`POST /shop-detail`: profile with the counts of products on sale and of creators
        promoting them (on `today`, which the living market requires)."""
        s = self.shop(shop_id)
        day = self._require_day(today)
        if day is None or self._living is None:
            products_count = len(self._shop_products[s.id])
            creators_count = self._shop_creator_counts[s.id]
        else:
            on_sale = self.products_of_shop(s.id, day)
            products_count = len(on_sale)
            creators_count = len({c for p in on_sale for c in self.creators_of_product(p, day)})
        return {
            "id": s.id,
            "name": s.name,
            "country": s.country,
            "logo": s.logo,
            "products_count": products_count,
            "creators_count": creators_count,
            "rating": s.rating,
        }

    def shop_total(self, shop_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`POST /shop-detail/total`: sums over the shop's list (without its lag)."""
        self.shop(shop_id)
        first, _ = self._ordinals(period, today)
        rows = self._shop_rows(shop_id, period, today, 0)
        revenue = sum(row[3] for row in rows)
        sales = sum(row[4] for row in rows)
        unit = mix(self.seed, "conversion", shop_id, period, first) / 2**64
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
        """`POST /shop-detail/product/queryList`: the whole sorted list (ties by id asc) of
        the products on sale, at their price of `today`."""
        self.shop(shop_id)
        rows = self._sorted(
            self._shop_rows(shop_id, period, today, self.list_lag_days), sort, order
        )
        keys = ("id", "title", "price", "revenue", "sales")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def product_detail(self, product_id: str, today: dt.date) -> dict[str, Any]:
        """`GET /product-detail/{id}`: profile with its price of `today` and its period-30
        revenue and sales."""
        p = self.product_as_of(product_id, today)
        total = self.product_total(product_id, 30, today)
        return {
            "id": p.id,
            "title": p.title,
            "shop_id": p.shop_id,
            "price": self.price_on(product_id, today),
            "revenue": total["revenue"],
            "sales": total["sales"],
            "rating": p.rating,
            "image": p.image,
        }

    def product_total(self, product_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`POST /product-detail/total`: sums of its history for the window."""
        self.product_as_of(product_id, today)
        first, last = self._ordinals(period, today)
        if self._living is None:
            sales, revenue = self._product_sums(product_id, first, last)
        else:
            sales, revenue = self._living.product_sums(product_id, first, last, today.toordinal())
        return {
            "revenue": revenue,
            "sales": sales,
            "avg_price": round(revenue / sales, 2) if sales else 0.0,
            "period": period,
        }

    def product_history(self, product_id: str, period: int, today: dt.date) -> list[dict[str, Any]]:
        """`POST /product-detail/history`: one row per date of the window, ascending."""
        self.product_as_of(product_id, today)
        first, last = self._ordinals(period, today)
        answer = today.toordinal()
        rows = []
        for ordinal in range(first, last + 1):
            if self._living is None:
                sales, revenue = daily(lambda b: self._product_block(product_id, b), ordinal, 2)
            else:
                sales, revenue = self._living.product_daily(product_id, ordinal, answer)
            date = dt.date.fromordinal(ordinal).isoformat()
            rows.append({"date": date, "revenue": revenue, "sales": sales})
        return rows

    def creator_total(self, creator_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`POST /creator-detail/total`: sums of its searchProducts rows (without their lag),
        videos posted by `today`, followers."""
        c = self.creator(creator_id)
        rows = self._creator_list_rows(creator_id, period, today, 0)
        return {
            "revenue": sum(row[3] for row in rows),
            "sales": sum(row[4] for row in rows),
            "videos": len(self.videos_of_creator(c.id, today)),
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
        """`POST /creator-detail/searchProducts`: the creator's credited sales per product
        promoted on `today`."""
        self.creator(creator_id)
        rows = self._creator_list_rows(creator_id, period, today, self.list_lag_days)
        return [
            {"id": pid, "title": title, "revenue": revenue, "sales": sales}
            for pid, title, _, revenue, sales in self._sorted(rows, sort, order)
        ]

    def video_detail(self, video_id: str, today: dt.date | None = None) -> dict[str, Any]:
        """`GET /api/v2/videos/{id}`: metadata (the living market requires `today`)."""
        day = self._require_day(today)
        v = self.video(video_id) if day is None else self.video_as_of(video_id, day)
        return {
            "id": v.id,
            "caption": v.caption,
            "creator_id": v.creator_id,
            "product_id": v.product_id,
            "posted_at": v.posted_at.isoformat(),
        }

    def video_metrics(self, video_id: str, period: int, today: dt.date) -> dict[str, Any]:
        """`GET /api/v2/videos/{id}/metrics`: sums of daily metrics (zero before posting)."""
        self.video_as_of(video_id, today)
        first, last = self._ordinals(period, today)
        views, likes, comments, shares = window_sum(
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
        values = daily(lambda b: self._video_block(video_id, b), day.toordinal(), 4)
        return dict(zip(("views", "likes", "comments", "shares"), values, strict=True))

    def ids(self) -> dict[str, list[str]]:
        """All ids by kind (the `/_sim/world` answer; in the living market, also products
        not launched and videos not posted yet)."""
        return {
            "shops": self.shop_ids(),
            "products": self.product_ids(),
            "creators": self.creator_ids(),
            "videos": self.video_ids(),
        }
