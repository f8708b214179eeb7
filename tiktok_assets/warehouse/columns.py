"""The API tables' columns as the assets' metadata shows them (`dagster/column_schema`),
written out so that the code location loads without SQLAlchemy.

`tables.py` stays the one source of truth: this file is generated from it
(`python -m tiktok_assets.warehouse.columns` rewrites it) and `tests/warehouse/test_columns.py`
fails when the two differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

Columns = tuple[tuple[str, str], ...]
"""(name, type as SQLAlchemy spells it, lower case) of each column, in table order."""

# fmt: off
COLUMNS: dict[str, Columns] = {
    "shop_detail": (
        ("id", "varchar(20)"),
        ("snapshot_date", "date"),
        ("name", "text"),
        ("country", "varchar(8)"),
        ("logo", "text"),
        ("products_count", "integer"),
        ("creators_count", "integer"),
        ("rating", "float"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "shop_total": (
        ("id", "varchar(20)"),
        ("period", "integer"),
        ("snapshot_date", "date"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("avg_price", "float"),
        ("conversion_rate", "float"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "shop_products": (
        ("shop_id", "varchar(20)"),
        ("period", "integer"),
        ("snapshot_date", "date"),
        ("rank", "integer"),
        ("product_id", "varchar(20)"),
        ("title", "text"),
        ("price", "float"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "product_detail": (
        ("id", "varchar(20)"),
        ("snapshot_date", "date"),
        ("title", "text"),
        ("shop_id", "varchar(20)"),
        ("price", "float"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("rating", "float"),
        ("image", "text"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "product_total": (
        ("id", "varchar(20)"),
        ("period", "integer"),
        ("snapshot_date", "date"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("avg_price", "float"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
        ("source", "varchar(20)"),
        ("source_call_id", "bigint"),
    ),
    "product_history": (
        ("id", "varchar(20)"),
        ("date", "date"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("fetched_at", "datetime"),
        ("source", "varchar(20)"),
        ("source_call_id", "bigint"),
    ),
    "creator_total": (
        ("id", "varchar(20)"),
        ("period", "integer"),
        ("snapshot_date", "date"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("videos", "integer"),
        ("followers", "bigint"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "creator_products": (
        ("creator_id", "varchar(20)"),
        ("period", "integer"),
        ("snapshot_date", "date"),
        ("rank", "integer"),
        ("product_id", "varchar(20)"),
        ("title", "text"),
        ("revenue", "float"),
        ("sales", "bigint"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "video_detail": (
        ("id", "varchar(20)"),
        ("snapshot_date", "date"),
        ("caption", "text"),
        ("creator_id", "varchar(20)"),
        ("product_id", "varchar(20)"),
        ("posted_at", "date"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
    "video_metrics": (
        ("id", "varchar(20)"),
        ("period", "integer"),
        ("snapshot_date", "date"),
        ("views", "bigint"),
        ("likes", "bigint"),
        ("comments", "bigint"),
        ("shares", "bigint"),
        ("fetched_at", "datetime"),
        ("raw", "json"),
    ),
}
# fmt: on


def describe(table: sa.Table) -> Columns:
    """A table's columns as `COLUMNS` holds them."""
    return tuple((c.name, str(c.type).lower()) for c in table.columns)


def render(tables: dict[str, sa.Table]) -> str:
    """This module's text with `COLUMNS` describing `tables`."""
    text = Path(__file__).read_text()
    head, rest = text.split("COLUMNS: dict[str, Columns] = {\n", 1)
    tail = rest.split("}\n# fmt: on\n", 1)[1]
    lines = []
    for name, table in tables.items():
        lines.append(f'    "{name}": (')
        lines += [f'        ("{column}", "{kind}"),' for column, kind in describe(table)]
        lines.append("    ),")
    body = "\n".join(lines)
    return f"{head}COLUMNS: dict[str, Columns] = {{\n{body}\n}}\n# fmt: on\n{tail}"


def api_tables() -> dict[str, sa.Table]:
    """The tables of the API assets (`tiktok_assets.catalog.SOURCES`), in catalog order."""
    from tiktok_assets.catalog import SOURCES
    from tiktok_assets.warehouse.tables import metadata

    return {s.table: metadata.tables[s.table] for s in SOURCES.values()}


if __name__ == "__main__":
    Path(__file__).write_text(render(api_tables()))
