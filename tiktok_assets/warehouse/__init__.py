"""The SQLAlchemy warehouse: tables, engines, the `Warehouse` resource and the row writers."""

from tiktok_assets.warehouse.resource import Warehouse, configured_url, default_url, safe_url
from tiktok_assets.warehouse.tables import metadata

__all__ = ["Warehouse", "configured_url", "default_url", "metadata", "safe_url"]
