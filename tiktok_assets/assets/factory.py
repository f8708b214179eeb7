"""`fetch_asset(...)`: the definition of an API asset, what the code location loads.

An asset is built from its `AssetSource` (endpoint, partitions, table), a `Shaper` that turns
a partition's answer into rows, and its data-quality `Check`s. Defining it needs none of the
run's machinery: the run (`tiktok_assets.assets.fetch`, with the HTTP client, the credit
economy and SQLAlchemy) is imported when a run starts, so that loading the code location —
paid by every CLI call, run worker and step worker — stays light.
"""

import warnings
from collections.abc import Iterator, Sequence

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    BetaWarning,
    SpecificPartitionsPartitionMapping,
    TableColumn,
    TableSchema,
    asset,
)

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.assets.spec import API_POOL, Check, FetchConfig, Shaper, sources_check_name
from tiktok_assets.catalog import SOURCES_OF, AssetSource
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.settings import Settings
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.columns import COLUMNS


def backfill_policy(settings: Settings) -> BackfillPolicy:
    """One run per contiguous range of partitions, unless TIKTOK_MAX_PARTITIONS_PER_RUN caps it.

    A single-run policy is also what lets `dagster asset materialize --partition-range`
    run a range from the command line.
    """
    cap = settings.tiktok_max_partitions_per_run
    return BackfillPolicy.multi_run(cap) if cap else BackfillPolicy.single_run()


def with_backfill_policy(
    assets: Sequence[AssetsDefinition], settings: Settings
) -> list[AssetsDefinition]:
    """The API assets with the backfill policy `settings` give (the definitions' default is a
    single run per range)."""
    policy = backfill_policy(settings)
    if policy == BackfillPolicy.single_run():
        return list(assets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        return [a.with_attributes(backfill_policy=policy) for a in assets]


def _column_schema(table: str) -> TableSchema:
    """The table's columns, from their static description (`tiktok_assets.warehouse.columns`)."""
    return TableSchema(
        columns=[TableColumn(name, kind, description=None) for name, kind in COLUMNS[table]]
    )


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
            backfill_policy=BackfillPolicy.single_run(),
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
