"""The code location: wires assets, checks, sensors, schedules and resources together."""

from dagster import Definitions

from tiktok_assets.assets import api_assets
from tiktok_assets.economy import economy_assets, economy_checks
from tiktok_assets.resources import resources

defs = Definitions(
    assets=[*api_assets, *economy_assets],
    asset_checks=[*economy_checks],
    resources=resources(),
)
