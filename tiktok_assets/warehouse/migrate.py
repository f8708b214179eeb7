"""Schema migrations of the warehouse (alembic), applied in place on first use.

Every process that opens the warehouse brings it to the newest revision before using it, so
a running schedule keeps working when the code is upgraded under it:

- an empty database gets every table at once (`metadata.create_all`) and is stamped at the
  newest revision (a test proves the migrations build the same schema);
- a warehouse of the first release (tables, no `alembic_version`) is stamped `0001` and
  upgraded;
- a versioned warehouse is upgraded from its revision.

All of it happens in one transaction under a lock (PostgreSQL: an advisory lock; SQLite: the
engine's `BEGIN IMMEDIATE`), so processes starting together upgrade once and the others wait.
`tiktok-assets db upgrade` and `tiktok-assets db current` do the same from a shell.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tiktok_assets.warehouse.tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_RELEASE = "0001"
FIRST_RELEASE_TABLES = ("api_calls", "shop_detail", "product_total", "rate_limit_slots")
"""Tables whose presence without `alembic_version` marks a first-release warehouse."""
_DDL_LOCK = 7_493_920_192  # the PostgreSQL advisory lock held while migrating


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration for the package's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _revision(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


@dataclasses.dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: the revision before (None: empty or first release) and after."""

    before: str | None
    after: str
    created: bool
    """True when the database was empty and every table was created."""


def upgrade(engine: sa.Engine) -> Upgrade:
    """Bring the warehouse at `engine` to the newest revision (see the module docstring)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK})
        config = alembic_config(conn)
        before = _revision(conn)
        if before is None:
            # Stamped through a MigrationContext of this connection, not `alembic.command`,
            # whose module-wide proxies another thread's alembic (Dagster's own storage
            # schema, for one) could swap out underneath.
            stamp = MigrationContext.configure(conn)
            script = ScriptDirectory.from_config(config)
            existing = set(sa.inspect(conn).get_table_names())
            if not existing & set(FIRST_RELEASE_TABLES):
                metadata.create_all(conn)
                stamp.stamp(script, "head")
                return Upgrade(None, head_revision(), created=True)
            stamp.stamp(script, FIRST_RELEASE)
        elif before == head_revision():
            return Upgrade(before, before, created=False)
        command.upgrade(config, "head")
        return Upgrade(before, _revision(conn) or "", created=False)


def current(engine: sa.Engine) -> str | None:
    """The warehouse's revision (None: empty, or a first release never upgraded)."""
    with engine.connect() as conn:
        return _revision(conn)
