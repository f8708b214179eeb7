"""The SQLAlchemy warehouse: tables, engines, the `Warehouse` resource and the row writers."""

from typing import Any

from tiktok_assets.warehouse.resource import Warehouse, configured_url, default_url, safe_url

__all__ = ["Warehouse", "configured_url", "default_url", "metadata", "safe_url"]


def __getattr__(name: str) -> Any:
    # `metadata` (the tables) is SQLAlchemy's: imported on first use, not when the package is.
    if name == "metadata":
        from tiktok_assets.warehouse.tables import metadata

        return metadata
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
