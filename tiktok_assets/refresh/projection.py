"""The projected monthly cost of refreshing the tracked set, and the ceiling discovery keeps.

Refreshing one tracked id costs, per month, one request per asset partition each schedule
tick refreshes (list routes: at least one page), times the ticks of its cadence in a month.
With the defaults (daily: periods 1 and 7 and the profiles; weekly: 30 and 90; a product's
daily series over 7 days weekly) that is about 170 credits a month per shop, 104 per product,
140 per creator and 96 per video. A product on a tracked shop's list costs its real marginal
cost instead: its totals are derived from the list (see `economy.sources`), so it costs its
share of the list's pages (1/50 page per period and refresh), its profile and its weekly
series, about 36 credits a month.

Discovery adds an id only while the projected monthly cost of the whole tracked set stays
under `TIKTOK_DISCOVERY_BUDGET_SHARE` (default 1.0) of the usable monthly credits
(limit - reserve); `0` disables the rule. Seeds (tracked.yaml, the CLI) are always added:
the user asked for them; the sensor warns when they push the projection over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from tiktok_assets.jobs import families_of
from tiktok_assets.names import PRODUCT_HISTORY, PRODUCT_TOTAL
from tiktok_assets.refresh.settings import Cadence, HistoryCadence

LIST_PAGE_SIZE = 50
"""Products on one page of a shop's list: a listed product's share of a list is 1/50 page."""


def monthly_requests_per_id(
    entity: str,
    cadences: Sequence[Cadence],
    *,
    derived: Sequence[str] = (),
    history: HistoryCadence | None = None,
) -> float:
    """Requests a month that refreshing one id of `entity` takes (one page per list);
    the assets in `derived` cost nothing (their numbers come from the day's lists), and with
    a `history` cadence the daily series costs one request per tick of its own schedule."""
    total = 0.0
    for cadence in cadences:
        per_tick = 0
        for family in families_of(entity):
            if family.has_period:
                partitions = len(set(cadence.periods) & set(family.periods))
            else:
                partitions = 1 if cadence.details else 0
            for asset in family.assets:
                if asset in derived:
                    continue
                if history is not None and asset == PRODUCT_HISTORY:
                    per_tick += 1 if cadence.name == history.cadence else 0
                else:
                    per_tick += partitions
        total += per_tick * cadence.runs_per_month
    return total


def monthly_cost_of_a_listed_product(
    cadences: Sequence[Cadence], history: HistoryCadence | None = None
) -> float:
    """A product on a tracked shop's list: its totals derived from the list, its share of the
    list's pages (1/50 per period and refresh), and the rest as any product."""
    list_share = sum(
        len(set(cadence.periods) & set(LISTED_PERIODS)) / LIST_PAGE_SIZE * cadence.runs_per_month
        for cadence in cadences
    )
    own = monthly_requests_per_id("product", cadences, derived=DERIVED_FROM_LISTS, history=history)
    return own + list_share


DERIVED_FROM_LISTS = (PRODUCT_TOTAL,)
"""Assets whose partitions a tracked shop's list answers (see `economy.sources`)."""
LISTED_PERIODS = (1, 7, 30, 90)


@dataclasses.dataclass(frozen=True)
class Projection:
    """The tracked set's projected monthly refresh cost against the budget's ceiling."""

    counts: Mapping[str, int]
    per_id: Mapping[str, float]
    ceiling: float | None
    """Credits a month the tracked set may cost (None: no rule)."""
    listed: int = 0
    """Tracked products on a tracked shop's list (they cost `listed_cost` each)."""
    listed_cost: float = 0.0

    @property
    def monthly_credits(self) -> float:
        full = sum(self.counts.get(e, 0) * cost for e, cost in self.per_id.items())
        return full - self.listed * (self.per_id.get("product", 0.0) - self.listed_cost)

    def credits_left(self) -> float | None:
        """Monthly credits the ceiling leaves for new ids (None: no rule)."""
        if self.ceiling is None:
            return None
        return max(0.0, self.ceiling - self.monthly_credits)

    @property
    def over(self) -> bool:
        return self.ceiling is not None and self.monthly_credits > self.ceiling

    def describe(self) -> str:
        ceiling = "no ceiling" if self.ceiling is None else f"ceiling {self.ceiling:,.0f}"
        parts = ", ".join(f"{n:,} {e}(s)" for e, n in self.counts.items())
        return (
            f"tracked: {parts}; projected refresh {self.monthly_credits:,.0f} credits/month "
            f"({ceiling})"
        )


def projection(
    counts: Mapping[str, int],
    cadences: Sequence[Cadence],
    *,
    usable_credits: int,
    budget_share: float,
    listed: int = 0,
    history: HistoryCadence | None = None,
) -> Projection:
    """The projection for `counts` tracked ids per entity, `listed` of the products on a
    tracked shop's list."""
    per_id = {e: monthly_requests_per_id(e, cadences, history=history) for e in counts}
    ceiling = None if budget_share <= 0 else budget_share * usable_credits
    return Projection(
        dict(counts),
        per_id,
        ceiling,
        listed,
        monthly_cost_of_a_listed_product(cadences, history),
    )
