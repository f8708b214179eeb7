"""The code location: wires assets, checks, sensors, schedules and resources together."""

from dagster import Definitions

from tiktok_assets.analytics import analytics_assets, analytics_automation_sensor
from tiktok_assets.assets import api_assets
from tiktok_assets.economy import economy_assets, economy_checks
from tiktok_assets.jobs import tracking_jobs
from tiktok_assets.refresh.requests import refresh_requests, refresh_requests_job
from tiktok_assets.resources import resources
from tiktok_assets.schedules import tracking_schedules
from tiktok_assets.sensors import tracking_sensors

defs = Definitions(
    assets=[*api_assets, *economy_assets, *analytics_assets, refresh_requests],
    asset_checks=[*economy_checks],
    jobs=[*tracking_jobs, refresh_requests_job],
    sensors=[*tracking_sensors, analytics_automation_sensor],
    schedules=[*tracking_schedules],
    resources=resources(),
)
