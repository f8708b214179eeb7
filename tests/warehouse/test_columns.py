"""The static column description the asset metadata uses equals the SQLAlchemy tables."""

from tiktok_assets.warehouse import columns


def test_static_columns_equal_the_tables():
    tables = columns.api_tables()
    expected = {name: columns.describe(table) for name, table in tables.items()}
    assert expected == columns.COLUMNS, (
        "tiktok_assets/warehouse/columns.py is stale: run "
        "`python -m tiktok_assets.warehouse.columns`"
    )


def test_rendering_the_tables_reproduces_the_module():
    from pathlib import Path

    assert columns.render(columns.api_tables()) == Path(columns.__file__).read_text()
