"""Helpers of the instance tests: what the UI's asset page asks the GraphQL API."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance

ROOT = Path(__file__).resolve().parents[2]


def partition_stats(instance: DagsterInstance) -> dict[str, int]:
    """`partitionStats` of product_total, as the asset page asks the GraphQL API for it."""
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    query = """
    query Stats($key: AssetKeyInput!) {
      assetNodeOrError(assetKey: $key) {
        ... on AssetNode { partitionStats { numMaterialized numFailed numPartitions } }
      }
    }"""
    with define_out_of_process_context(
        str(ROOT / "tiktok_assets" / "definitions.py"), "defs", instance
    ) as context:
        result = execute_dagster_graphql(context, query, {"key": {"path": ["product_total"]}})
    assert not result.errors, result.errors
    return result.data["assetNodeOrError"]["partitionStats"]
