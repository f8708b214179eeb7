"""Schema migrations: a first-release warehouse, filled, upgrades in place with every row kept;
the migrations build exactly the schema the code declares; several processes upgrading at once
upgrade once; `tiktok-assets db` reports and upgrades. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.warehouse import first_release_tables as first
from tiktok_assets.cli import main
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.engine import dispose_all, get_engine
from tiktok_assets.warehouse.migrate import alembic_config, current, head_revision, upgrade
from tiktok_assets.warehouse.tables import metadata

DAY = dt.date(2026, 11, 20)
AT = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)


def _first_release_rows() -> dict[str, list[dict[str, Any]]]:
    """A few rows in every table of the first release, as its code wrote them."""
    raw = {"vendor_field": 1}
    total = {"revenue": 120.5, "sales": 3, "fetched_at": AT, "raw": raw, "snapshot_date": DAY}
    return {
        "shop_detail": [
            {"id": "11", "snapshot_date": DAY, "name": "Glow Co.", "country": "US", "logo": None}
            | {"products_count": 2, "creators_count": 1, "rating": 4.5}
            | {"fetched_at": AT, "raw": raw}
        ],
        "shop_total": [{"id": "11", "period": p, "avg_price": 40.0} | total for p in (1, 7)],
        "shop_products": [
            {"shop_id": "11", "period": 30, "snapshot_date": DAY, "rank": r, "product_id": pid}
            | {"title": "t", "price": 9.5, "revenue": 19.0, "sales": 2, "fetched_at": AT}
            | {"raw": raw}
            for r, pid in ((1, "21"), (2, "22"))
        ],
        "product_detail": [
            {"id": "21", "snapshot_date": DAY, "title": "Serum", "shop_id": "11", "price": 9.5}
            | {"revenue": 19.0, "sales": 2, "rating": 4.0, "image": "i", "fetched_at": AT}
            | {"raw": raw}
        ],
        "product_total": [{"id": "21", "period": p, "avg_price": 9.5} | total for p in (7, 30)],
        "product_history": [
            {"id": "21", "date": DAY - dt.timedelta(days=d), "revenue": 9.5, "sales": 1}
            | {"fetched_at": AT}
            for d in range(1, 4)
        ],
        "creator_total": [
            {"id": "31", "period": 30, "videos": 2, "followers": 1000} | total,
        ],
        "creator_products": [
            {"creator_id": "31", "period": 30, "snapshot_date": DAY, "rank": 1}
            | {"product_id": "21", "title": "t", "revenue": 9.5, "sales": 1, "fetched_at": AT}
            | {"raw": raw}
        ],
        "video_detail": [
            {"id": "41", "snapshot_date": DAY, "caption": "c", "creator_id": "31"}
            | {"product_id": "21", "posted_at": DAY, "fetched_at": AT, "raw": raw}
        ],
        "video_metrics": [
            {"id": "41", "period": 7, "snapshot_date": DAY, "views": 10, "likes": 1}
            | {"comments": 0, "shares": 0, "fetched_at": AT, "raw": raw}
        ],
        "api_calls": [
            {"route": "POST /x", "params": '{"id": "21"}', "entity_id": "21", "status": 200}
            | {"duration_ms": 5.0, "credits": 1, "cache_hit": False, "attempt": 1}
            | {"run_id": "r", "error": None, "body": {"success": True, "data": {}}}
            | {"called_at": AT, "call_date": DAY}
        ],
        "rate_limit_slots": [{"bucket": "abc", "slot": s, "taken_at": 1.0e9 + s} for s in range(3)],
    }


def _first_release_warehouse(url: str) -> dict[str, list[tuple]]:
    """Build and fill the first release's schema; return every table's rows."""
    engine = sa.create_engine(url)
    rows = _first_release_rows()
    assert set(rows) == set(first.metadata.tables)
    with engine.begin() as conn:
        first.metadata.create_all(conn)
        for name, table_rows in rows.items():
            conn.execute(first.metadata.tables[name].insert(), table_rows)
    before = _dump(engine, first.metadata)
    engine.dispose()
    return before


def _dump(engine: sa.Engine, md: sa.MetaData) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            name: sorted(
                tuple(row._mapping[c.name] for c in table.columns)
                for row in conn.execute(sa.select(table))
            )
            for name, table in md.tables.items()
        }


def test_a_first_release_warehouse_upgrades_with_every_row_kept(warehouse_url: str) -> None:
    before = _first_release_warehouse(warehouse_url)
    engine = get_engine(warehouse_url)
    assert current(engine) is None

    done = upgrade(engine)

    assert (done.before, done.after, done.created) == (None, head_revision(), False)
    assert current(engine) == head_revision()
    # Every first-release row is still there, column for column.
    assert _dump(engine, first.metadata) == before
    assert sum(len(rows) for rows in before.values()) > 15
    # And the schema is now exactly the code's.
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_the_resource_upgrades_on_first_use_and_runs_go_on(warehouse_url: str) -> None:
    _first_release_warehouse(warehouse_url)
    warehouse = Warehouse(url=warehouse_url)
    frame = warehouse.read_table("product_total")  # `engine` upgrades first
    assert list(frame["id"]) == ["21", "21"]
    assert current(warehouse.engine) == head_revision()


def test_the_migrations_build_the_schema_the_code_declares(warehouse_url: str) -> None:
    engine = get_engine(warehouse_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")  # every migration, no create_all
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_an_empty_warehouse_is_created_at_the_newest_revision(warehouse_url: str) -> None:
    engine = get_engine(warehouse_url)
    done = upgrade(engine)
    assert done.created and done.after == head_revision()
    assert upgrade(engine) == type(done)(head_revision(), head_revision(), created=False)
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())


UPGRADE = """
import sys
from tiktok_assets.warehouse.engine import get_engine
from tiktok_assets.warehouse.migrate import upgrade
print(upgrade(get_engine(sys.argv[1])).before)
"""


def test_processes_upgrading_at_once_upgrade_once(warehouse_url: str) -> None:
    before = _first_release_warehouse(warehouse_url)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE, warehouse_url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0]
    # One of them upgraded the first release; the others found it at the newest revision.
    assert sorted(outputs) == sorted(["None"] + [head_revision()] * 3)
    dispose_all()
    engine = get_engine(warehouse_url)
    assert _dump(engine, first.metadata) == before
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head_revision(),)]


def test_db_current_and_upgrade_from_a_shell(warehouse_url: str, monkeypatch, capsys) -> None:
    _first_release_warehouse(warehouse_url)
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", warehouse_url)
    assert main(["db", "current"]) == 0
    assert "revision none (newest " in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"upgraded from first release (unversioned) to {head_revision()}" in (
        capsys.readouterr().out
    )
    assert main(["db", "current"]) == 0
    assert f"revision {head_revision()} (newest {head_revision()}: up to date)" in (
        capsys.readouterr().out
    )


def test_db_reports_an_unreachable_warehouse(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", "postgresql+psycopg://u:secret@127.0.0.1:9/none")
    assert main(["db", "current"]) == 2
    err = capsys.readouterr().err
    assert "the warehouse at postgresql+psycopg://u:***@127.0.0.1:9/none failed" in err
    assert "secret" not in err and "TIKTOK_WAREHOUSE_URL" in err
