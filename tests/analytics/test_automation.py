"""Automation: the analytics assets refresh when their upstream API assets change; nothing
ever requests an API asset (they spend credits)."""

from __future__ import annotations

from dagster import AssetKey, AssetMaterialization, DagsterInstance, evaluate_automation_conditions

from tiktok_assets.analytics import analytics_assets, analytics_automation_sensor
from tiktok_assets.assets import api_assets
from tiktok_assets.definitions import defs as code_location

defs = code_location()

ANALYTICS = {a.key.to_user_string() for a in analytics_assets}


def _requested(result) -> set[str]:  # type: ignore[no-untyped-def]
    keys = {k for a in [*api_assets, *analytics_assets] for k in a.keys}
    return {k.to_user_string() for k in keys if result.get_num_requested(k)}


def _materialize(instance: DagsterInstance, key: str, partition: str | None = None) -> None:
    instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


def test_an_upstream_materialization_requests_its_analytics_only() -> None:
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("product_ids", ["111", "222"])
        first = evaluate_automation_conditions(defs=defs, instance=instance)
        assert _requested(first) <= ANALYTICS  # never an API asset
        for name in ANALYTICS:
            _materialize(instance, name)
        quiet = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert _requested(quiet) == set()

        # one partition of product_total updates; others (222, other periods) stay missing
        _materialize(instance, "product_total", "111|7")
        after = evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
        assert _requested(after) == {"product_leaderboard", "price_changes", "alerts"}
        for name in _requested(after):  # the requested run happens
            _materialize(instance, name)

        _materialize(instance, "product_history", "222|30")
        later = evaluate_automation_conditions(defs=defs, instance=instance, cursor=after.cursor)
        # alerts itself just updated on this tick (the previous request's run): it waits for
        # its own upstream analytics to land, then follows them
        assert _requested(later) == {"product_movers", "new_products"}
        for name in _requested(later):
            _materialize(instance, name)
        chained = evaluate_automation_conditions(defs=defs, instance=instance, cursor=later.cursor)
        assert _requested(chained) == {"alerts"}


def test_only_analytics_assets_carry_a_condition_and_the_sensor_targets_them_only() -> None:
    graph = defs.resolve_asset_graph()
    with_condition = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).automation_condition is not None
    }
    assert with_condition == ANALYTICS
    targeted = analytics_automation_sensor.asset_selection.resolve(graph)
    assert {k.to_user_string() for k in targeted} == ANALYTICS
    assert not targeted & {k for a in api_assets for k in a.keys}
    for asset in analytics_assets:
        deps = {d.to_user_string() for d in graph.get(asset.key).parent_keys}
        assert deps, asset.key
        assert deps <= {a.key.to_user_string() for a in api_assets} | ANALYTICS
        assert AssetKey("api_credit_spend") not in graph.get(asset.key).parent_keys
