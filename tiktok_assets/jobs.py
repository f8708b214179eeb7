"""One asset job per partitions definition, the unit a tracking run materializes.

Assets with different partitions definitions cannot share a run, so each entity has a
`<entity>_detail_job` (partitioned by id) and a `<entity>_period_job` (partitioned by
`id|period`) where the catalog has such assets:

| job | assets | partitions |
| --- | --- | --- |
| `shop_detail_job` | shop_detail | shop_ids |
| `shop_period_job` | shop_total, shop_products | shop_ids × periods |
| `product_detail_job` | product_detail | product_ids |
| `product_period_job` | product_total, product_history | product_ids × periods |
| `creator_period_job` | creator_total, creator_products | creator_ids × periods |
| `video_detail_job` | video_detail | video_ids |
| `video_period_job` | video_metrics | video_ids × video periods |

Sensors launch these jobs over partition key ranges (see `tiktok_assets.refresh.runs`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from dagster import (
    AssetSelection,
    PartitionsDefinition,
    define_asset_job,
)

from tiktok_assets.catalog import SOURCES, AssetSource

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


@dataclasses.dataclass(frozen=True)
class JobFamily:
    """The assets of one entity that share a partitions definition, and their job."""

    name: str
    entity: str
    assets: tuple[str, ...]
    partitions_def: PartitionsDefinition
    periods: tuple[int, ...]
    """The periods of the partitions definition, in its order (empty: partitioned by id)."""
    job: UnresolvedAssetJobDefinition

    @property
    def has_period(self) -> bool:
        return bool(self.periods)

    @property
    def sources(self) -> list[AssetSource]:
        return [SOURCES[a] for a in self.assets]


def _families() -> dict[str, JobFamily]:
    grouped: dict[tuple[str, bool], list[AssetSource]] = {}
    for source in SOURCES.values():
        grouped.setdefault((source.entity, source.has_period), []).append(source)
    families: dict[str, JobFamily] = {}
    for (entity, has_period), sources in grouped.items():
        defs = {id(s.partitions_def) for s in sources}
        if len(defs) != 1:
            raise ValueError(f"{entity}: assets {[s.asset for s in sources]} differ in partitions")
        name = f"{entity}_{'period' if has_period else 'detail'}_job"
        assets = tuple(s.asset for s in sources)
        periods = tuple(sources[0].endpoint.periods) if has_period else ()
        grain = f"{entity} id and period" if has_period else f"{entity} id"
        job = define_asset_job(
            name,
            selection=AssetSelection.assets(*assets),
            partitions_def=sources[0].partitions_def,
            description=(
                f"Fetch {', '.join(assets)} for a range of partitions (one per {grain}). "
                "Launched by the tracking sensors and refresh schedules."
            ),
        )
        families[name] = JobFamily(name, entity, assets, sources[0].partitions_def, periods, job)
    return families


FAMILIES: dict[str, JobFamily] = _families()
"""Every job family by job name, in catalog order (shops, products, creators, videos)."""

shop_detail_job = FAMILIES["shop_detail_job"].job
shop_period_job = FAMILIES["shop_period_job"].job
product_detail_job = FAMILIES["product_detail_job"].job
product_period_job = FAMILIES["product_period_job"].job
creator_period_job = FAMILIES["creator_period_job"].job
video_detail_job = FAMILIES["video_detail_job"].job
video_period_job = FAMILIES["video_period_job"].job

tracking_jobs: list[UnresolvedAssetJobDefinition] = [f.job for f in FAMILIES.values()]


def families_of(entity: str) -> list[JobFamily]:
    """The job families of one entity (`shop`, `product`, `creator`, `video`)."""
    return [f for f in FAMILIES.values() if f.entity == entity]
