"""When the analytics assets refresh: after their upstream API assets change.

`refresh_condition()` is `AutomationCondition.eager()` without its "no missing dependency"
clause. The analytics assets are unpartitioned and
read every partition of their partitioned upstream assets: with thousands of dynamic
partitions some are always missing (an id tracked but not fetched yet), which would block
`eager()` for ever. They still wait while an upstream run is in progress. (The API assets
have no blocking checks; `all_deps_blocking_checks_passed()` is false for a dependency without
checks in Dagster 1.13, so it is not added.)

`analytics_automation_sensor` evaluates the conditions of the `analytics` group only: no API
asset carries a condition, and the sensor's target excludes them, so automation never
spends a credit. It ships RUNNING (the assets are free); toggle it in the UI.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

GROUP = "analytics"


def refresh_condition() -> AutomationCondition:
    """Eager refresh that tolerates missing upstream partitions (see the module docstring)."""
    eager = AutomationCondition.eager()
    return eager.without(~AutomationCondition.any_deps_missing()).with_label("analytics_refresh")


analytics_automation_sensor = AutomationConditionSensorDefinition(
    "analytics_automation_sensor",
    target=AssetSelection.groups(GROUP),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Refreshes the analytics assets (free: they read the warehouse) when their "
    "upstream API assets change. Targets the analytics group only.",
)
