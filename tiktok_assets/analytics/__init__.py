"""Downstream analytics: assets that read the warehouse only (no API request, no credit) and
write rankings, movers, new products, price changes and creator links, one row set a day."""

from tiktok_assets.analytics.assets import analytics_assets
from tiktok_assets.analytics.automation import analytics_automation_sensor

__all__ = ["analytics_assets", "analytics_automation_sensor"]
