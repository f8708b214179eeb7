"""The tracked set: the ids of each entity the instance holds as dynamic partitions."""

from __future__ import annotations

from dagster import DagsterInstance

from tiktok_assets.partitions import IDS_BY_ENTITY
from tiktok_assets.tracking.seeds import ENTITIES


def tracked_ids(instance: DagsterInstance) -> dict[str, list[str]]:
    """Every tracked id per entity, in the order added."""
    return {e: list(instance.get_dynamic_partitions(IDS_BY_ENTITY[e].name)) for e in ENTITIES}
