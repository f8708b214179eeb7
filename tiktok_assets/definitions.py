"""The code location: wires assets, checks, sensors, schedules and resources together.

The settings are read here, once, when Dagster loads the code location (`defs` is a lazy
`@definitions` entry point): no other module reads them when it is imported.
"""

from dagster import Definitions, definitions

from tiktok_assets.analytics import analytics_assets, analytics_automation_sensor
from tiktok_assets.assets import api_assets
from tiktok_assets.assets.factory import with_backfill_policy
from tiktok_assets.economy import economy_assets, economy_checks
from tiktok_assets.jobs import tracking_jobs
from tiktok_assets.refresh.handoff import refresh_requests, refresh_requests_job
from tiktok_assets.resources import resources
from tiktok_assets.schedules import tracking_schedules
from tiktok_assets.sensors import tracking_sensors
from tiktok_assets.settings import Settings, get_settings


def build_definitions(settings: Settings) -> Definitions:
    """Every definition of the code location, configured by `settings`."""
    return Definitions(
        assets=[
            *with_backfill_policy(api_assets, settings),
            *economy_assets,
            *analytics_assets,
            refresh_requests,
        ],
        asset_checks=[*economy_checks],
        jobs=[*tracking_jobs, refresh_requests_job],
        sensors=[*tracking_sensors(settings), analytics_automation_sensor],
        schedules=tracking_schedules(settings),
        resources=resources(settings),
    )


@definitions
def defs() -> Definitions:
    """The code location as the environment configures it."""
    return build_definitions(get_settings())
