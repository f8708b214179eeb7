"""Fixtures of the deployment tests: fresh PostgreSQL databases for the Dagster instance and the
warehouse (skipped without TIKTOK_TEST_POSTGRES_URL), and the instance's environment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from tests.conftest import POSTGRES_URL, require_postgres
from tiktok_assets.warehouse.engine import dispose_all


@dataclass(frozen=True)
class PostgresDatabases:
    """Two fresh databases on the test server: Dagster's storage and the warehouse."""

    server: URL
    dagster_db: str
    warehouse_db: str

    @property
    def warehouse_url(self) -> str:
        return self.server.set(database=self.warehouse_db).render_as_string(hide_password=False)

    def instance_env(self) -> dict[str, str]:
        """The DAGSTER_POSTGRES_* variables `deploy/dagster.yaml` reads."""
        return {
            "DAGSTER_POSTGRES_HOST": self.server.host or "127.0.0.1",
            "DAGSTER_POSTGRES_PORT": str(self.server.port or 5432),
            "DAGSTER_POSTGRES_USER": self.server.username or "postgres",
            "DAGSTER_POSTGRES_PASSWORD": self.server.password or "",
            "DAGSTER_POSTGRES_DB": self.dagster_db,
        }


def _admin(server: URL) -> sa.Engine:
    return sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture
def postgres_databases() -> Iterator[PostgresDatabases]:
    """Fresh databases, dropped afterwards (connections left behind are terminated)."""
    require_postgres()
    assert POSTGRES_URL
    server = make_url(POSTGRES_URL)
    suffix = uuid.uuid4().hex[:10]
    dbs = PostgresDatabases(server, f"tk_dagster_{suffix}", f"tk_warehouse_{suffix}")
    admin = _admin(server)
    with admin.connect() as conn:
        for name in (dbs.dagster_db, dbs.warehouse_db):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield dbs
    finally:
        dispose_all()
        with admin.connect() as conn:
            for name in (dbs.dagster_db, dbs.warehouse_db):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
