"""The living market: launches, lifecycles, price steps, promotion starts and late corrections.

Every value is a pure function of the seed, an entity id and a date (the caches only keep
what was computed), so any day can be asked in any order, in any process, with the same
answer. The model, per product:

- **launch**: `ESTABLISHED_SHARE` (about 40 %) of the catalogue launched uniformly between
  `ESTABLISHED_FROM` and `GROWTH_FROM`; the rest between `GROWTH_FROM` and `GROWTH_TO`, at a
  pace that grows the catalogue on sale by `GROWTH_RATE` (0.6 %) a day: around the simulated
  present (late 2026) a few tens of the products of a 5,000-product world launch each day.
- **lifecycle**: a linear ramp to its peak (1-30 days), a plateau, then an exponential decay
  towards a floor. Fates: evergreen (slow decay, high floor), fading (low floor), dying
  (floor 0, and no sales at all from its `death` date on). Viral episodes multiply sales by
  4-20x for days to weeks (10 % of products early in their life, 6 % later).
- **price**: a step function of the date: price events come one every `PRICE_EVENT_GAP` days
  on average (a Poisson process): cuts and raises of 5-30 % that last, and promotions of
  10-30 % for 2-10 days. The factor over the launch price stays within `PRICE_FACTOR_BOUNDS`.
- **late corrections**: a date's sales as answered 1, 2 or 3 days later are off the final
  value by up to 6, 4 and 2 % (`REVISION_PCT`); from the 4th day on they are final.

Per creator-product link: a start date on or after the product's launch (45 % within three
weeks of it, the others spread up to `LINK_HORIZON`); per video: a posting date after its
link's start. Video metrics are not revised.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tiktok_assets.sim.entities import Creator, Product, Video
from tiktok_assets.sim.seeds import mix, unit
from tiktok_assets.sim.series import BLOCK, Blocks, daily, new_cums, window_sum

Market = Literal["static", "living"]
"""`static`: every entity exists forever, prices never change, values are final at once;
`living`: this module's model."""
MARKETS: tuple[Market, ...] = ("static", "living")

ESTABLISHED_FROM = dt.date(2024, 1, 1)
GROWTH_FROM = dt.date(2026, 9, 1)
GROWTH_TO = dt.date(2027, 1, 31)
GROWTH_RATE = 0.006
"""Launches a day between `GROWTH_FROM` and `GROWTH_TO`, as a share of the products on sale."""
ESTABLISHED_SHARE = math.exp(-GROWTH_RATE * (GROWTH_TO - GROWTH_FROM).days)
"""Share of the catalogue launched before `GROWTH_FROM` (about 0.40)."""

LINK_HORIZON = dt.date(2027, 3, 31)
EARLY_LINK_SHARE = 0.45
EARLY_LINK_DAYS = 21
POSTING_DELAY_MEAN = 30.0
POSTING_DELAY_MAX = 180

FATES: tuple[tuple[str, float], ...] = (("evergreen", 0.30), ("fading", 0.45), ("dying", 0.25))
"""Fates and their probabilities."""
DEATH_LEVEL = 0.025
"""A dying product stops selling when its level would fall below this."""
EARLY_VIRAL_PROB = 0.10
LATE_VIRAL_PROB = 0.06
VIRAL_PEAK = (4.0, 20.0)

PRICE_EVENT_GAP = 45.0
PRICE_FACTOR_BOUNDS = (0.55, 1.6)
PRICE_CHANGE = (0.05, 0.30)
PROMO_CUT = (0.10, 0.30)
PROMO_DAYS = (2, 10)

SETTLE_DAYS = 3
"""Values of a date are final when answered this many days after it plus one."""
REVISION_PCT: tuple[float, ...] = (0.06, 0.04, 0.02)
"""Largest relative error of a date answered 1, 2 and 3 days after it."""


@dataclass(frozen=True, slots=True)
class Viral:
    """A viral episode: sales times up to `peak`, reached `rise` days from `start`, then
    fading with a time constant of `fade` days; no effect after `end`."""

    start: dt.date
    peak: float
    rise: int
    fade: float
    end: dt.date

    def boost(self, offset: int) -> float:
        """What the episode adds to the multiplier `offset` days after its start."""
        if offset < 0 or offset > (self.end - self.start).days:
            return 0.0
        if offset < self.rise:
            return (self.peak - 1.0) * (offset + 1) / self.rise
        return (self.peak - 1.0) * math.exp(-(offset - self.rise + 1) / self.fade)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """How one product's sales level moves from its launch on (1.0 = its base level)."""

    launch: dt.date
    fate: str
    ramp_days: int
    plateau_days: int
    decay_days: float
    floor: float
    death: dt.date | None
    virals: tuple[Viral, ...]

    def level(self, day: dt.date) -> float:
        """The multiplier of the product's base sales on `day` (0 before launch or dead)."""
        return self.levels(day.toordinal(), 1)[0]

    def levels(self, first: int, count: int) -> list[float]:
        """`level` of `count` consecutive days from ordinal `first`."""
        launch = self.launch.toordinal()
        death = self.death.toordinal() if self.death is not None else None
        virals = [(v.start.toordinal(), v.end.toordinal(), v) for v in self.virals]
        grown = self.ramp_days + self.plateau_days
        out: list[float] = []
        for ordinal in range(first, first + count):
            age = ordinal - launch
            if age < 0 or (death is not None and ordinal >= death):
                out.append(0.0)
                continue
            if age < self.ramp_days:
                level = (age + 1) / self.ramp_days
            elif age < grown:
                level = 1.0
            else:
                decay = math.exp(-(age - grown) / self.decay_days)
                level = self.floor + (1.0 - self.floor) * decay
            boost = 1.0
            for start, end, viral in virals:
                if start <= ordinal <= end:
                    boost += viral.boost(ordinal - start)
            out.append(level * boost)
        return out


@dataclass(frozen=True, slots=True)
class PriceEvent:
    """A change of a product's price on `day`: a lasting `cut` or `raise` by `change` (a
    fraction), or a `promo` lowering it by `change` for `days` days from `day`."""

    day: dt.date
    kind: str
    change: float
    days: int


def draw_launch(seed: int, product_id: str) -> dt.date:
    """The product's launch date (see the module's docstring for the distribution)."""
    u = unit(seed, "launch", product_id)
    if u < ESTABLISHED_SHARE:
        span = (GROWTH_FROM - ESTABLISHED_FROM).days
        return ESTABLISHED_FROM + dt.timedelta(days=int(u / ESTABLISHED_SHARE * span))
    span = (GROWTH_TO - GROWTH_FROM).days
    offset = int(math.log(u / ESTABLISHED_SHARE) / GROWTH_RATE)
    return GROWTH_FROM + dt.timedelta(days=min(offset, span))


def _draw_viral(rng: random.Random, start: dt.date) -> Viral:
    low, high = VIRAL_PEAK
    rise = rng.randint(1, 4)
    fade = rng.uniform(3.0, 21.0)
    return Viral(
        start=start,
        peak=math.exp(rng.uniform(math.log(low), math.log(high))),
        rise=rise,
        fade=fade,
        end=start + dt.timedelta(days=rise + math.ceil(5 * fade)),
    )


def draw_lifecycle(seed: int, product_id: str) -> Lifecycle:
    """The product's launch, fate, curve and viral episodes."""
    rng = random.Random(mix(seed, "life", product_id))
    launch = draw_launch(seed, product_id)
    ramp = max(1, int(math.exp(rng.uniform(0.0, math.log(30.0)))))
    roll = rng.random()
    death: dt.date | None = None
    if roll < FATES[0][1]:
        fate = FATES[0][0]
        plateau, decay, floor = rng.randint(30, 240), rng.uniform(300, 900), rng.uniform(0.5, 0.9)
    elif roll < FATES[0][1] + FATES[1][1]:
        fate = FATES[1][0]
        plateau, decay, floor = rng.randint(7, 90), rng.uniform(30, 200), rng.uniform(0.05, 0.3)
    else:
        fate = FATES[2][0]
        plateau, decay, floor = rng.randint(0, 30), rng.uniform(5, 30), 0.0
        lifetime = ramp + plateau + math.ceil(decay * math.log(1 / DEATH_LEVEL))
        death = launch + dt.timedelta(days=lifetime)
    virals: list[Viral] = []
    if rng.random() < EARLY_VIRAL_PROB:
        virals.append(_draw_viral(rng, launch + dt.timedelta(days=rng.randint(0, 21))))
    if rng.random() < LATE_VIRAL_PROB:
        virals.append(_draw_viral(rng, launch + dt.timedelta(days=rng.randint(22, 500))))
    return Lifecycle(
        launch=launch,
        fate=fate,
        ramp_days=ramp,
        plateau_days=plateau,
        decay_days=decay,
        floor=floor,
        death=death,
        virals=tuple(virals),
    )


def draw_link_start(seed: int, creator_id: str, product_id: str, launch: dt.date) -> dt.date:
    """The date a creator starts promoting a product (on or after its launch)."""
    rng = random.Random(mix(seed, "link", creator_id, product_id))
    if rng.random() < EARLY_LINK_SHARE:
        return launch + dt.timedelta(days=rng.randint(0, EARLY_LINK_DAYS))
    horizon = max((LINK_HORIZON - launch).days, 60)
    return launch + dt.timedelta(days=rng.randint(0, horizon))


def draw_posted(seed: int, video_id: str, link_start: dt.date) -> dt.date:
    """The date a video is posted (on or after the start of its creator-product link)."""
    rng = random.Random(mix(seed, "posted", video_id))
    delay = min(int(rng.expovariate(1 / POSTING_DELAY_MEAN)), POSTING_DELAY_MAX)
    return link_start + dt.timedelta(days=delay)


def revised(final: int, error: float) -> int:
    """A count as answered before it settled: the final count off by `error` (a fraction)."""
    return round(final * (1.0 + error))


def _step(factor: float, event: PriceEvent) -> float:
    """The price factor after a lasting cut or raise (reversed if it would leave bounds)."""
    low, high = PRICE_FACTOR_BOUNDS
    down, up = factor * (1.0 - event.change), factor * (1.0 + event.change)
    if event.kind == "cut":
        return down if down >= low else up
    return up if up <= high else down


class LivingMarket:
    """The day-by-day side of a living world: launches, links, postings, prices and series.

    Series are final values kept as cumulative sums per block (`series`); the answers of a
    day adjust the last `SETTLE_DAYS` dates of a window to their provisional values.
    """

    def __init__(
        self,
        seed: int,
        products: Mapping[str, Product],
        creators: Mapping[str, Creator],
        videos: Mapping[str, Video],
    ) -> None:
        self.seed = seed
        self._products = products
        self._creators = creators
        self.lifecycles: dict[str, Lifecycle] = {pid: draw_lifecycle(seed, pid) for pid in products}
        self._launch: dict[str, int] = {
            pid: life.launch.toordinal() for pid, life in self.lifecycles.items()
        }
        self.link_starts: dict[tuple[str, str], dt.date] = {
            (cid, pid): draw_link_start(seed, cid, pid, self.lifecycles[pid].launch)
            for cid, creator in creators.items()
            for pid in creator.product_ids
        }
        self._link_start: dict[tuple[str, str], int] = {
            key: day.toordinal() for key, day in self.link_starts.items()
        }
        self.posted: dict[str, dt.date] = {
            vid: draw_posted(seed, vid, self.link_starts[(v.creator_id, v.product_id)])
            for vid, v in videos.items()
        }
        self._events: dict[tuple[str, int], tuple[PriceEvent, ...]] = {}
        self._regimes: dict[tuple[str, int], float] = {}
        self._prices: dict[tuple[str, int], array[float]] = {}
        self._blocks: dict[tuple[object, ...], list[array[int]]] = {}
        self._pcts: dict[tuple[str, str, int], array[int]] = {}

    # -- dates ------------------------------------------------------------------------

    def launch_ordinal(self, product_id: str) -> int:
        """Ordinal of the product's launch date."""
        return self._launch[product_id]

    def link_ordinal(self, creator_id: str, product_id: str) -> int:
        """Ordinal of the date the creator starts promoting the product."""
        return self._link_start[(creator_id, product_id)]

    # -- prices -----------------------------------------------------------------------

    def price_events(self, product_id: str, block: int) -> tuple[PriceEvent, ...]:
        """Price events drawn for the block's days (those before launch are ignored)."""
        key = (product_id, block)
        events = self._events.get(key)
        if events is not None:
            return events
        rng = random.Random(mix(self.seed, "price", product_id, block))
        first = block * BLOCK
        drawn: list[PriceEvent] = []
        position = rng.expovariate(1 / PRICE_EVENT_GAP)
        while position < BLOCK:
            roll = rng.random()
            day = dt.date.fromordinal(first + int(position))
            if roll < 0.35:
                drawn.append(PriceEvent(day, "cut", rng.uniform(*PRICE_CHANGE), 0))
            elif roll < 0.65:
                drawn.append(PriceEvent(day, "raise", rng.uniform(*PRICE_CHANGE), 0))
            else:
                cut = rng.uniform(*PROMO_CUT)
                drawn.append(PriceEvent(day, "promo", cut, rng.randint(*PROMO_DAYS)))
            position += rng.expovariate(1 / PRICE_EVENT_GAP)
        events = self._events[key] = tuple(drawn)
        return events

    def _regime(self, product_id: str, block: int) -> float:
        """The lasting price factor in force on the first day of `block` (1.0 at launch)."""
        launch = self._launch[product_id]
        launch_block = launch // BLOCK
        if block <= launch_block:
            return 1.0
        known = block
        while known > launch_block and (product_id, known) not in self._regimes:
            known -= 1
        factor = self._regimes.get((product_id, known), 1.0)
        while known < block:
            for event in self.price_events(product_id, known):
                if event.kind != "promo" and event.day.toordinal() >= launch:
                    factor = _step(factor, event)
            known += 1
            self._regimes[(product_id, known)] = factor
        return factor

    def prices(self, product_id: str, block: int) -> array[float]:
        """The product's price on each day of the block (the launch price before launch)."""
        key = (product_id, block)
        prices = self._prices.get(key)
        if prices is not None:
            return prices
        launch = self._launch[product_id]
        base = self._products[product_id].price
        factor = self._regime(product_id, block)
        lasting = [
            (event.day.toordinal(), event)
            for event in self.price_events(product_id, block)
            if event.kind != "promo" and event.day.toordinal() >= launch
        ]
        promos = [
            (event.day.toordinal(), event.day.toordinal() + event.days - 1, event.change)
            for earlier in (block - 1, block)
            for event in self.price_events(product_id, earlier)
            if event.kind == "promo" and event.day.toordinal() >= launch
        ]
        first = block * BLOCK
        cuts = [0.0] * BLOCK
        for start, end, cut in promos:
            for i in range(max(start - first, 0), min(end - first + 1, BLOCK)):
                cuts[i] = max(cuts[i], cut)
        factors = [factor] * BLOCK
        for ordinal, event in lasting:
            factor = _step(factor, event)
            i = ordinal - first
            factors[i:] = [factor] * (BLOCK - i)
        prices = array(
            "d", [round(base * f * (1.0 - c), 2) for f, c in zip(factors, cuts, strict=True)]
        )
        self._prices[key] = prices
        return prices

    def price(self, product_id: str, ordinal: int) -> float:
        """The product's price on one day."""
        return self.prices(product_id, ordinal // BLOCK)[ordinal % BLOCK]

    # -- final series -----------------------------------------------------------------

    def product_block(self, product_id: str, block: int) -> list[array[int]]:
        """Final `[cumulative sales, cumulative revenue]` of the product over the block."""
        key = ("p", product_id, block)
        cums = self._blocks.get(key)
        if cums is not None:
            return cums
        p = self._products[product_id]
        first = block * BLOCK
        levels = self.lifecycles[product_id].levels(first, BLOCK)
        cums = new_cums(2)
        cum_sales, cum_revenue = cums
        if not any(levels):  # before launch or after death: no sales at all
            cum_sales.extend([0] * BLOCK)
            cum_revenue.extend([0] * BLOCK)
            self._blocks[key] = cums
            return cums
        prices = self.prices(product_id, block)
        random_unit = random.Random(mix(self.seed, "sales", product_id, block)).random
        base, weekly, zero_prob = p.base, p.weekly, p.zero_prob
        amp, phase, sin = p.season_amp, p.season_phase, math.sin
        sales_total = revenue_total = 0
        for i in range(BLOCK):
            skip, noise = random_unit(), random_unit()
            level = levels[i]
            if level > 0.0 and skip >= zero_prob:
                ordinal = first + i
                season = 1.0 + amp * sin(ordinal / 58.1 + phase)
                sales = int(base * weekly[(ordinal - 1) % 7] * season * level * (0.6 + 0.8 * noise))
                if sales:
                    sales_total += sales
                    revenue_total += round(sales * prices[i])
            cum_sales.append(sales_total)
            cum_revenue.append(revenue_total)
        self._blocks[key] = cums
        return cums

    def creator_block(self, creator_id: str, index: int, block: int) -> list[array[int]]:
        """Final `[cumulative sales, cumulative revenue]` the creator is credited with for
        their `index`-th product over the block (0 before the link's start)."""
        creator = self._creators[creator_id]
        pid = creator.product_ids[index]
        key = ("c", creator_id, pid, block)
        cums = self._blocks.get(key)
        if cums is not None:
            return cums
        start = self._link_start[(creator_id, pid)]
        base_pct = creator.share_pct[index]
        product_sales = self.product_block(pid, block)[0]
        prices = self.prices(pid, block)
        rng = random.Random(mix(self.seed, "share", creator_id, pid, block))
        cums = new_cums(2)
        cum_sales, cum_revenue = cums
        pcts = array("q")
        sales_total = revenue_total = 0
        first = block * BLOCK
        for i in range(BLOCK):
            pct = min(max(base_pct + rng.randint(-3, 10), 5), 40)
            pcts.append(pct)
            if first + i >= start:
                sales = (product_sales[i + 1] - product_sales[i]) * pct // 100
            else:
                sales = 0
            sales_total += sales
            revenue_total += round(sales * prices[i])
            cum_sales.append(sales_total)
            cum_revenue.append(revenue_total)
        self._blocks[key] = cums
        self._pcts[(creator_id, pid, block)] = pcts
        return cums

    # -- answers of a day ---------------------------------------------------------------

    def revision(self, product_id: str, ordinal: int, answer: int | None) -> float:
        """Relative error of the product's sales of date `ordinal` as answered on day
        `answer` (0.0 once settled, i.e. from `SETTLE_DAYS + 1` days after the date on, and
        for `answer=None`, the final value)."""
        if answer is None:
            return 0.0
        age = answer - ordinal
        if not 1 <= age <= SETTLE_DAYS:
            return 0.0
        u = unit(self.seed, "revise", product_id, ordinal, answer)
        return (2.0 * u - 1.0) * REVISION_PCT[age - 1]

    def product_daily(self, product_id: str, ordinal: int, answer: int | None) -> tuple[int, int]:
        """`(sales, revenue)` of the product on date `ordinal` as answered on day `answer`
        (`None`: final)."""
        sales, revenue = daily(lambda b: self.product_block(product_id, b), ordinal, 2)
        error = self.revision(product_id, ordinal, answer)
        if error == 0.0 or sales == 0:
            return sales, revenue
        sales = revised(sales, error)
        return sales, round(sales * self.price(product_id, ordinal))

    def product_sums(self, product_id: str, first: int, last: int, answer: int) -> tuple[int, int]:
        """`(sales, revenue)` of the product over `first..last` as answered on day `answer`."""
        sales, revenue = window_sum(lambda b: self.product_block(product_id, b), first, last, 2)
        for ordinal in range(max(first, answer - SETTLE_DAYS), last + 1):
            day_sales, day_revenue = self.product_daily(product_id, ordinal, answer)
            final_sales, final_revenue = daily(
                lambda b: self.product_block(product_id, b), ordinal, 2
            )
            sales += day_sales - final_sales
            revenue += day_revenue - final_revenue
        return sales, revenue

    def creator_daily(
        self, creator_id: str, index: int, ordinal: int, answer: int | None
    ) -> tuple[int, int]:
        """`(sales, revenue)` credited to the creator for their `index`-th product on date
        `ordinal` as answered on day `answer` (`None`: final; a share of the product's sales
        as answered that day)."""
        blocks = self._creator_blocks(creator_id, index)
        sales, revenue = daily(blocks, ordinal, 2)
        pid = self._creators[creator_id].product_ids[index]
        if ordinal < self._link_start[(creator_id, pid)]:
            return sales, revenue
        if self.revision(pid, ordinal, answer) == 0.0:
            return sales, revenue
        product_sales, _ = self.product_daily(pid, ordinal, answer)
        pct = self._pcts[(creator_id, pid, ordinal // BLOCK)][ordinal % BLOCK]
        sales = product_sales * pct // 100
        return sales, round(sales * self.price(pid, ordinal))

    def creator_sums(
        self, creator_id: str, index: int, first: int, last: int, answer: int
    ) -> tuple[int, int]:
        """`(sales, revenue)` credited to the creator for their `index`-th product over
        `first..last` as answered on day `answer`."""
        blocks = self._creator_blocks(creator_id, index)
        sales, revenue = window_sum(blocks, first, last, 2)
        for ordinal in range(max(first, answer - SETTLE_DAYS), last + 1):
            day_sales, day_revenue = self.creator_daily(creator_id, index, ordinal, answer)
            final_sales, final_revenue = daily(blocks, ordinal, 2)
            sales += day_sales - final_sales
            revenue += day_revenue - final_revenue
        return sales, revenue

    def _creator_blocks(self, creator_id: str, index: int) -> Blocks:
        return lambda b: self.creator_block(creator_id, index, b)
