"""Fixtures of the economy tests: an engine on the shared fresh warehouse (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tiktok_assets.warehouse.engine import ensure_tables, get_engine


@pytest.fixture
def engine(warehouse_url: str) -> sa.Engine:
    """The process's engine on a fresh warehouse, tables created."""
    engine = get_engine(warehouse_url)
    ensure_tables(engine)
    return engine


def other_engine(url: str) -> sa.Engine:
    """A second, separate engine (its own pool) on the same database as `url`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        engine = get_engine(f"sqlite:///{path.parent}/./{path.name}")
    else:
        sep = "&" if "?" in url else "?"
        engine = get_engine(f"{url}{sep}application_name=economy-second-engine")
    ensure_tables(engine)
    return engine
