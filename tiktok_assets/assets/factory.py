"""`fetch_asset(...)`: the definition of an API asset, what the code location loads.

An asset is built from its `AssetSource` (endpoint, partitions, table), a `Shaper` that turns
a partition's answer into rows, and its data-quality `Check`s. Defining it needs none of the
run's machinery: the run (`tiktok_assets.assets.fetch`, with the HTTP client, the credit
economy and SQLAlchemy) is imported when a run starts, so that loading the code location —
paid by every CLI call, run worker and step worker — stays light.
"""

import dataclasses
import datetime as dt
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    BetaWarning,
    Config,
    SpecificPartitionsPartitionMapping,
    TableColumn,
    TableSchema,
    asset,
)
from pydantic import Field

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.catalog import SOURCES_OF, AssetSource
from tiktok_assets.checks import CheckOutcome
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.settings import get_settings
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.columns import COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from tiktok_assets.assets.fetch import Fetched

API_POOL = "tiktok_api"
FORCE_REFRESH_TAG = "tiktok/force_refresh"


def backfill_policy() -> BackfillPolicy:
    """One run per contiguous range of partitions, unless TIKTOK_MAX_PARTITIONS_PER_RUN caps it.

    A single-run policy is also what lets `dagster asset materialize --partition-range`
    run a range from the command line.
    """
    cap = get_settings().tiktok_max_partitions_per_run
    return BackfillPolicy.multi_run(cap) if cap else BackfillPolicy.single_run()


class FetchConfig(Config):
    """Run configuration of the API assets."""

    force_refresh: bool = Field(
        default=False,
        description="Bypass the request journal: pay again for answers already fetched today.",
    )


@dataclasses.dataclass(frozen=True)
class Shaped:
    """What a partition's answer becomes: rows, plus facts the checks need."""

    rows: list[dict[str, Any]]
    list_total: int | None = None


Shaper = Callable[["Fetched", dt.date, dt.datetime], Shaped]
Checker = Callable[["pd.DataFrame", list[tuple["Fetched", Shaped]]], CheckOutcome]


@dataclasses.dataclass(frozen=True)
class Check:
    """A data-quality rule attached to an asset."""

    name: str
    description: str
    rule: Checker
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR


def _column_schema(table: str) -> TableSchema:
    """The table's columns, from their static description (`tiktok_assets.warehouse.columns`)."""
    return TableSchema(
        columns=[TableColumn(name, kind, description=None) for name, kind in COLUMNS[table]]
    )


def sources_check_name(asset: str) -> str:
    return f"{asset}_sources_agree"


def fetch_asset(
    source: AssetSource,
    *,
    description: str,
    shape: Shaper,
    checks: Sequence[Check] = (),
    lineage_from: Sequence[str] = (),
) -> AssetsDefinition:
    """Build the asset for `source` (see `tiktok_assets.assets.fetch`)."""
    # Data-dependent lineage: the edge shows in the graph, but maps to no upstream
    # partition, so a new shop list never marks every product partition stale.
    deps = [
        AssetDep(upstream, partition_mapping=SpecificPartitionsPartitionMapping([]))
        for upstream in lineage_from
    ]

    def _asset(
        context: AssetExecutionContext,
        config: FetchConfig,
        api: TikTokShopAPI,
        warehouse: Warehouse,
        credit_budget: CreditBudgetResource,
    ) -> Iterator[AssetCheckResult]:
        from tiktok_assets.assets.fetch import run_fetch  # the run's machinery, loaded to run

        yield from run_fetch(context, config, api, warehouse, credit_budget, source, shape, checks)

    with warnings.catch_warnings():
        # Backfill policies are beta in Dagster 1.13; batching is what this project is for.
        warnings.simplefilter("ignore", BetaWarning)
        return asset(
            name=source.asset,
            description=description,
            group_name=source.group,
            partitions_def=source.partitions_def,
            backfill_policy=backfill_policy(),
            pool=API_POOL,
            kinds={"api", "python", "sql"},
            deps=deps,
            output_required=False,
            check_specs=[
                AssetCheckSpec(c.name, asset=source.asset, description=c.description)
                for c in checks
            ]
            + (
                [
                    AssetCheckSpec(
                        sources_check_name(source.asset),
                        asset=source.asset,
                        description=(
                            "values derived from other answers of the day (shop lists, "
                            "daily series) agreed with the API's own answers for the "
                            "sampled partitions (sales equal, revenue within 0.5 % or 0.01)"
                        ),
                    )
                ]
                if source.asset in SOURCES_OF
                else []
            ),
            metadata={
                "dagster/column_schema": _column_schema(source.table),
                "dagster/table_name": source.table,
                "endpoint": source.endpoint.route,
            },
        )(_asset)
