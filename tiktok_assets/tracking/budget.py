"""The rule that keeps the tracked set inside the credit budget.

Refreshing one tracked id costs, per month, one request per asset partition each schedule
tick refreshes (list routes: at least one page), times the ticks of its cadence in a month.
With the defaults (daily: periods 1 and 7 and the profiles; weekly: 30 and 90) that is
about 170 credits a month per shop or product, 140 per creator and 96 per video, so the
vendor's 20,000 credits keep roughly 120 products fresh.

Discovery adds an id only while the projected monthly cost of the whole tracked set stays
under `TIKTOK_DISCOVERY_BUDGET_SHARE` (default 1.0) of the usable monthly credits
(limit - reserve); `0` disables the rule. Seeds (tracked.yaml, the CLI) are always added:
the user asked for them; the sensor warns when they push the projection over.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from tiktok_assets.jobs import families_of
from tiktok_assets.tracking.settings import Cadence


def monthly_requests_per_id(entity: str, cadences: Sequence[Cadence]) -> float:
    """Requests a month that refreshing one id of `entity` takes (one page per list)."""
    total = 0.0
    for cadence in cadences:
        per_tick = 0
        for family in families_of(entity):
            if family.has_period:
                partitions = len(set(cadence.periods) & set(family.periods))
            else:
                partitions = 1 if cadence.details else 0
            per_tick += partitions * len(family.assets)
        total += per_tick * cadence.runs_per_month
    return total


@dataclasses.dataclass(frozen=True)
class Projection:
    """The tracked set's projected monthly refresh cost against the budget's ceiling."""

    counts: Mapping[str, int]
    per_id: Mapping[str, float]
    ceiling: float | None
    """Credits a month the tracked set may cost (None: no rule)."""

    @property
    def monthly_credits(self) -> float:
        return sum(self.counts.get(e, 0) * cost for e, cost in self.per_id.items())

    @property
    def over(self) -> bool:
        return self.ceiling is not None and self.monthly_credits > self.ceiling

    def allowance(self, entity: str) -> int | None:
        """How many more ids of `entity` fit under the ceiling (None: unlimited)."""
        if self.ceiling is None:
            return None
        cost = self.per_id.get(entity, 0.0)
        if cost <= 0:
            return None
        return max(0, math.floor((self.ceiling - self.monthly_credits) / cost))

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
) -> Projection:
    """The projection for `counts` tracked ids per entity."""
    per_id = {e: monthly_requests_per_id(e, cadences) for e in counts}
    ceiling = None if budget_share <= 0 else budget_share * usable_credits
    return Projection(dict(counts), per_id, ceiling)
