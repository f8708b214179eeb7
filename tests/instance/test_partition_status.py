"""The instance shows a failed run's partitions as failed: why the smaller storage of one
"planned" event per run (`DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`, which the instance
benchmark measures) is not used: with it, Dagster shows them as merely missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from tests.assets.support import resources, run
from tests.instance.support import partition_stats
from tiktok_assets.assets.products import product_total
from tiktok_assets.partitions import product_period

UNKNOWN = "1000000000000000001"
"""A product id the simulator does not know: 404 for each of its four periods."""


@pytest.mark.parametrize("one_planned_event", [False, True])
def test_a_failed_runs_partitions_show_as_failed_only_with_planned_events_per_partition(
    sim,
    instance: DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_planned_event: bool,
) -> None:
    if one_planned_event:
        monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    instance.add_dynamic_partitions("product_ids", sorted([*sim.world.product_ids()[:2], UNKNOWN]))
    keys = product_period.get_partition_keys(dynamic_partitions_store=instance)
    warehouse = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    result = run(
        [product_total], instance, resources(sim, warehouse), key_range=(keys[0], keys[-1])
    )
    assert not result.success
    stats = partition_stats(instance)
    assert stats["numMaterialized"] == 8
    assert stats["numFailed"] == (0 if one_planned_event else 4)
