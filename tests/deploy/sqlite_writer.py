"""One run of `product_total` over a partition range in its own process (spawned by the SQLite
concurrency test): the project's resources from the environment, as a deployment builds them."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from threading import Barrier
from typing import Any


def materialize_range(
    env: Mapping[str, str],
    product_ids: Sequence[str],
    key_range: tuple[str, str],
    start_together: Barrier,
) -> dict[str, Any]:
    """Run `product_total` for `key_range` once every worker is ready; report what happened."""
    for name in [n for n in os.environ if n.startswith("TIKTOK_")]:
        del os.environ[name]
    os.environ.update(env)
    warnings.simplefilter("ignore")
    from dagster import DagsterInstance, materialize

    from tiktok_assets.assets.products import product_total
    from tiktok_assets.resources import resources

    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("product_ids", list(product_ids))
        start_together.wait(timeout=120)
        started = time.time()
        result = materialize(
            [product_total],
            instance=instance,
            resources=resources(),
            tags={
                "dagster/asset_partition_range_start": key_range[0],
                "dagster/asset_partition_range_end": key_range[1],
            },
            raise_on_error=False,
        )
        failures = [
            str(event.event_specific_data.error.message)  # type: ignore[union-attr]
            for event in result.all_events
            if event.is_step_failure
        ]
        return {
            "run_id": result.run_id,
            "success": result.success,
            "failures": failures,
            "materialized": sorted(
                str(m.partition) for m in result.asset_materializations_for_node("product_total")
            ),
            "started": started,
            "ended": time.time(),
        }
