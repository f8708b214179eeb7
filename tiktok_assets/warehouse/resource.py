"""`Warehouse`: the Dagster resource for the SQLAlchemy warehouse (SQLite or PostgreSQL).

SQLAlchemy and the tables are imported when the resource is used, not when the code location
loads (the assets only name this class).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from tiktok_assets.settings import Settings, get_settings

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

URL_ENV = "TIKTOK_WAREHOUSE_URL"
_ROWS_PER_STATEMENT = 500


def project_root() -> Path:
    """The checkout this package lives in (its `data/` holds the default SQLite files)."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "pyproject.toml").exists() else Path.cwd()


def default_url() -> str:
    """The embedded default: a SQLite file in the project's git-ignored `data/` folder."""
    return f"sqlite:///{project_root() / 'data' / 'warehouse.sqlite'}"


def configured_url(settings: Settings | None = None) -> str | EnvVar:
    """`EnvVar(TIKTOK_WAREHOUSE_URL)` when it is set (so the UI shows no credentials)."""
    url = (settings or get_settings()).tiktok_warehouse_url
    return EnvVar(URL_ENV) if url else default_url()


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def upsert_statement(engine: sa.Engine, table: sa.Table, rows: Sequence[Mapping[str, Any]]):
    """`INSERT ... ON CONFLICT (primary key) DO UPDATE` for SQLite and PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(list(rows))
    keys = [c.name for c in table.primary_key.columns]
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    if not updates:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)


class Warehouse(ConfigurableResource):
    """Where fetched data lands. Tables are created on first use; writes are idempotent upserts."""

    url: str = Field(
        default_factory=default_url,
        description=f"SQLAlchemy URL ({URL_ENV}); default: SQLite in the project's data/.",
    )

    def __repr__(self) -> str:
        return f"Warehouse(url={safe_url(self.url)!r})"

    __str__ = __repr__

    @property
    def engine(self) -> sa.Engine:
        """The process's engine for this URL, with every table created."""
        from tiktok_assets.warehouse.engine import ensure_tables, get_engine

        engine = get_engine(self.url)
        ensure_tables(engine)
        return engine

    @property
    def dialect(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.url).get_backend_name()

    def table(self, name: str) -> sa.Table:
        from tiktok_assets.warehouse.tables import metadata

        return metadata.tables[name]

    def write(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> int:
        """Write fetched rows on `conn` (inside the caller's transaction): a ranked list
        (`LIST_OWNERS`) replaces that owner's list of the day whole, so a shorter list leaves
        no stale ranks; any other table is upserted by primary key."""
        from tiktok_assets.warehouse.tables import LIST_OWNERS

        if not rows:
            return 0
        owner = LIST_OWNERS.get(table.name)
        if owner is None:
            return self.upsert(conn, table, rows)
        days = {(r[owner], r["period"], r["snapshot_date"]) for r in rows}
        for owner_id, period, day in days:
            conn.execute(
                table.delete().where(
                    table.c[owner] == owner_id,
                    table.c.period == period,
                    table.c.snapshot_date == day,
                )
            )
        conn.execute(table.insert(), rows)
        return len(rows)

    def upsert(
        self, conn: sa.Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]
    ) -> int:
        """Upsert `rows` into `table` on `conn` (inside the caller's transaction).

        Rows sharing a primary key are merged first, the last one winning, since one
        statement may not touch the same row twice.
        """
        keys = [c.name for c in table.primary_key.columns]
        unique = list({tuple(row[k] for k in keys): row for row in rows}.values())
        for start in range(0, len(unique), _ROWS_PER_STATEMENT):
            batch = unique[start : start + _ROWS_PER_STATEMENT]
            conn.execute(upsert_statement(conn.engine, table, batch))
        return len(unique)

    def read_frame(self, sql: str | sa.Select, params: Mapping[str, Any] | None = None):
        """Run a query and return a pandas DataFrame."""
        import sqlalchemy as sa

        query = sa.text(sql) if isinstance(sql, str) else sql
        with self.engine.connect() as conn:
            import pandas as pd

            return pd.read_sql(query, conn, params=params)

    def read_table(self, name: str) -> pd.DataFrame:
        """A whole table, ordered by its primary key."""
        import sqlalchemy as sa

        table = self.table(name)
        return self.read_frame(sa.select(table).order_by(*table.primary_key.columns))
