"""What every command shares: one way to report a refusal, read the settings, open the Dagster
instance and open the warehouse."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tiktok_assets.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from tiktok_assets.warehouse.resource import Warehouse

BAD_INPUT = 2
"""Exit status of a command refused before it did anything (a bad argument or setting)."""


def fail(command: str, message: str, status: int = BAD_INPUT) -> int:
    """Print `tiktok-assets <command>: <message>` on stderr; return the exit status."""
    print(f"tiktok-assets {command}: {message}", file=sys.stderr)
    return status


def settings_or_none(command: str) -> Settings | None:
    """The environment's settings, or None after printing which variable is wrong."""
    try:
        return get_settings()
    except SettingsError as exc:
        fail(command, str(exc))
        return None


def open_instance(command: str) -> DagsterInstance | None:
    """The Dagster instance at `DAGSTER_HOME`, or None after printing why not."""
    from dagster import DagsterError, DagsterInstance

    try:
        return DagsterInstance.get()
    except DagsterError as exc:  # DAGSTER_HOME unset or missing, a bad dagster.yaml
        fail(
            command,
            f"cannot open the Dagster instance ({exc}). Set DAGSTER_HOME to the instance "
            "folder (the project's is ./dagster_home)",
        )
        return None


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse at `TIKTOK_WAREHOUSE_URL`, else the project's SQLite file."""
    from tiktok_assets.warehouse.resource import Warehouse, default_url

    return Warehouse(url=settings.tiktok_warehouse_url or default_url())
