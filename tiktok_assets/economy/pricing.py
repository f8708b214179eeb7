"""Pricing: what a tick's runs would cost and what the day may spend, before anything is sent.

`Pricing` carries the journal's engine and the credit terms; `price` plans groups of
partitions (one group per run) with ONE planner call, and `allowance` is the day's share of
the month's usable credits (`pacing`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tiktok_assets.catalog import AssetSource
from tiktok_assets.economy import pacing
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.economy.planner import AssetCost, CostPlan, plan_partitions

if TYPE_CHECKING:
    import sqlalchemy as sa

    from tiktok_assets.api.resource import TikTokShopAPI
    from tiktok_assets.economy.resource import CreditBudgetResource
    from tiktok_assets.warehouse.resource import Warehouse

Items = Sequence[tuple[AssetSource, str]]
"""(asset, partition key) pairs: what one run materializes."""

_LABEL_SEP = "#"


@dataclasses.dataclass(frozen=True)
class Pricing:
    """What the planner needs from the resources: the journal's engine and the credit terms."""

    engine: sa.Engine
    terms: CreditTerms

    @classmethod
    def from_resources(
        cls, warehouse: Warehouse, api: TikTokShopAPI, credit_budget: CreditBudgetResource
    ) -> Pricing:
        """The planner's inputs from the resources a tick receives."""
        return cls(engine=warehouse.engine, terms=credit_budget.terms(api))

    @property
    def usable_credits(self) -> int:
        return self.terms.usable

    @property
    def derives(self) -> bool:
        """True when derivable partitions are priced as derived from the day's lists."""
        return self.terms.reconcile_sample is not None

    def price(self, groups: Sequence[Items]) -> list[CostPlan]:
        """Each group's cost plan, from ONE planner call (one pass over the request journal).

        The planner totals its rows per `AssetSource.asset`; labelling each group's sources
        with the group's index gives one row per (group, asset), which are then split back.
        """
        if not groups:
            return []
        labelled: list[tuple[AssetSource, str]] = []
        for index, items in enumerate(groups):
            renamed: dict[str, AssetSource] = {}
            for source, key in items:
                if source.asset not in renamed:
                    label = f"{source.asset}{_LABEL_SEP}{index}"
                    renamed[source.asset] = dataclasses.replace(source, asset=label)
                labelled.append((renamed[source.asset], key))
        plan = plan_partitions(self.engine, labelled, self.terms)
        rows: dict[int, list[AssetCost]] = {i: [] for i in range(len(groups))}
        for row in plan.rows:
            asset, _, index = row.asset.rpartition(_LABEL_SEP)
            rows[int(index)].append(dataclasses.replace(row, asset=asset))
        return [dataclasses.replace(plan, rows=tuple(rows[i])) for i in range(len(groups))]

    def allowance(self, today: dt.date) -> tuple[int, int]:
        """(the day's share of the month's usable credits, what is left of it now)."""
        return pacing.allowance(self.engine, self.usable_credits, today)
