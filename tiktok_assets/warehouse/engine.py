"""Engines for the warehouse URL: one per URL and process, SQLite tuned for concurrent runs."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 60_000

_engines: dict[str, sa.Engine] = {}
_created: set[str] = set()
_lock = threading.Lock()


def _tune_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets readers run beside one writer; the busy timeout makes writers wait, not fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(conn: sa.Connection) -> None:
    """Take SQLite's write lock at BEGIN, so a transaction never fails halfway on a lock."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine(url: str) -> sa.Engine:
    """The process's engine for `url` (created once; SQLite folders created as needed)."""
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                url,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "isolation_level": None},
            )
            sa.event.listen(engine, "connect", _tune_sqlite)
            sa.event.listen(engine, "begin", _begin_immediate)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        _engines[url] = engine
        return engine


def ensure_tables(engine: sa.Engine) -> None:
    """Bring the warehouse to the newest schema (once per engine and process): an empty one
    is created, an older one upgraded in place with its rows (see `warehouse.migrate`)."""
    key = str(engine.url)
    if key in _created:
        return
    with _lock:
        if key in _created:
            return
        from tiktok_assets.warehouse.migrate import upgrade

        upgrade(engine)
        _created.add(key)


def dispose_all() -> None:
    """Close every pooled connection (for tests that delete their database files)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _created.clear()
