"""SQL is parameterised throughout: no SQL text in the package is built by formatting, and a
value with quotes either is refused (ids) or is stored and matched literally."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tiktok_assets import clock
from tiktok_assets.api import endpoints as ep
from tiktok_assets.api.errors import InvalidId
from tiktok_assets.api.hooks import CallRecord
from tiktok_assets.catalog import SOURCES
from tiktok_assets.economy import (
    SqlRequestJournal,
    fresh_keys,
    is_fresh,
    known_totals,
    plan_partitions,
)
from tiktok_assets.economy.budget import CreditTerms
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.tables import api_calls, shop_detail

PACKAGE = Path(__file__).resolve().parents[2] / "tiktok_assets"

SINK_METHODS = {
    "execute",
    "executemany",
    "executescript",
    "exec_driver_sql",
    "read_sql",
    "read_sql_query",
    "read_frame",
}
"""Calls whose first argument is SQL text (DB-API cursors, SQLAlchemy, pandas, `Warehouse`)."""

ALLOWED = {
    (
        "warehouse/engine.py",
        'f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"',
    ): "SQLite's PRAGMA takes no bound parameters; the value is a module constant (an int)",
}
"""Formatted SQL that is safe, each with the reason."""


def _is_formatted(node: ast.AST) -> bool:
    """An f-string with fields, `"..." % x`, `"...".format(...)`, or `"..." + x`."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        sides = (node.left, node.right)
        texts = [s for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
        return bool(texts) or any(_is_formatted(s) for s in sides)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and isinstance(
            node.func.value, ast.Constant | ast.JoinedStr
        )
    return False


def _is_text_call(func: ast.AST, text_names: set[str]) -> bool:
    """`sa.text(...)`, `sqlalchemy.text(...)` or a `text` imported from sqlalchemy."""
    if isinstance(func, ast.Attribute) and func.attr == "text":
        return isinstance(func.value, ast.Name) and func.value.id in ("sa", "sqlalchemy")
    return isinstance(func, ast.Name) and func.id in text_names


def formatted_sql(source: str) -> list[tuple[int, str]]:
    """(line, SQL expression) of every SQL sink fed a formatted string, directly or by a name
    assigned a formatted string in the same function or module."""
    tree = ast.parse(source)
    text_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name == "text"
    }
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]
    formatted_names: dict[ast.AST, set[str]] = {}
    for scope in scopes:
        names = formatted_names.setdefault(scope, set())
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and _is_formatted(node.value):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for scope in scopes:
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call):
                continue
            is_sink = _is_text_call(node.func, text_names) or (
                isinstance(node.func, ast.Attribute) and node.func.attr in SINK_METHODS
            )
            args = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("sql", "text"))]
            if not is_sink or not args:
                continue
            sql = args[0]
            named = (
                isinstance(sql, ast.Name)
                and sql.id in formatted_names[scope] | (formatted_names[tree])
            )
            if _is_formatted(sql) or named:
                found.append((node.lineno, ast.get_source_segment(source, sql) or ""))
    return sorted(set(found))


@pytest.mark.parametrize(
    "snippet",
    [
        "conn.execute(sa.text(f\"SELECT * FROM t WHERE id = '{x}'\"))",
        "cursor.execute(\"SELECT * FROM t WHERE id = '%s'\" % x)",
        "def f(x):\n    q = 'SELECT * FROM t WHERE id = {}'.format(x)\n    conn.exec_driver_sql(q)",
        "from sqlalchemy import text\nconn.execute(text('DELETE FROM t WHERE id = ' + x))",
        "pd.read_sql(f'SELECT * FROM {table}', conn)",
        "wh.read_frame(sql=f'SELECT {col} FROM t')",
    ],
)
def test_the_scan_finds_formatted_sql(snippet: str) -> None:
    assert len(formatted_sql(snippet)) == 1


@pytest.mark.parametrize(
    "snippet",
    [
        "conn.execute(sa.text('SELECT * FROM t WHERE id = :id'), {'id': x})",
        "conn.execute(sa.select(t).where(t.c.id == x))",
        "MetadataValue.text(f'{n} rows')",
        "log.info(f'{n} rows')",
    ],
)
def test_the_scan_lets_bound_parameters_through(snippet: str) -> None:
    assert formatted_sql(snippet) == []


def test_no_sql_in_the_package_is_built_by_formatting() -> None:
    found: dict[tuple[str, str], int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for line, sql in formatted_sql(path.read_text()):
            found[(relative, sql)] = line
    unexpected = {
        f"{f}:{line}: {sql}" for (f, sql), line in found.items() if (f, sql) not in ALLOWED
    }
    assert not unexpected, "SQL built by string formatting:\n" + "\n".join(sorted(unexpected))
    stale = set(ALLOWED) - set(found)
    assert not stale, f"allow-list entries no longer in the code: {stale}"


QUOTED = ["1' OR '1'='1", "0';DROP TABLE x;--", "a\"b\\'c"]


@pytest.mark.parametrize("value", QUOTED)
def test_a_quoted_id_is_refused_by_validation(value: str, warehouse_url: str) -> None:
    with pytest.raises(InvalidId):
        ep.build_request(ep.SHOP_TOTAL, value, period=30)
    engine = Warehouse(url=warehouse_url).engine
    plan = plan_partitions(
        engine,
        [(SOURCES["shop_total"], f"{value}|30")],
        CreditTerms(page_size=50, rate_per_minute=0, monthly_credit_limit=100),
    )
    assert (plan.partitions, plan.requests) == (1, 0)  # planned as refused: nothing to send


def test_quoted_values_are_stored_and_matched_literally(warehouse_url: str) -> None:
    warehouse = Warehouse(url=warehouse_url)
    engine = warehouse.engine
    journal = SqlRequestJournal(engine, run_id="r'; DROP TABLE api_calls;--")
    now = clock.now()
    honest = ep.build_request(ep.SHOP_PRODUCTS, "123", page=1, limit=50, period=30)
    requests = [
        # Built around validation, as a caller that skipped it would: stored as data.
        ep.ApiRequest(ep.SHOP_PRODUCTS, value, (("page", 1), ("period", 30)))
        for value in QUOTED
    ]
    for i, request in enumerate([honest, *requests]):
        body = {"success": True, "data": [], "total": i, "page": 1}
        journal.record(CallRecord(request, 200, 0.01, 1, body, None, 1, now))

    with engine.connect() as conn:
        stored = conn.execute(sa.select(api_calls.c.entity_id, api_calls.c.run_id)).all()
    assert sorted(e for e, _ in stored) == sorted(["123", *QUOTED])
    assert {r for _, r in stored} == {"r'; DROP TABLE api_calls;--"}
    for i, request in enumerate(requests, start=1):
        assert journal.lookup(request)["total"] == i  # its own answer, nothing else
        assert is_fresh(engine, request)
    injected = ep.ApiRequest(ep.SHOP_PRODUCTS, "x' OR '1'='1", (("page", 1), ("period", 30)))
    assert journal.lookup(injected) is None and not is_fresh(engine, injected)
    route = ep.SHOP_PRODUCTS.route
    assert known_totals(engine, [route], entity_id="1' OR '1'='1") == {
        (route, "1' OR '1'='1", 30): 1
    }
    assert known_totals(engine, [f"{route}' OR '1'='1"]) == {}
    assert fresh_keys(engine, routes=[f"{route}' OR '1'='1"]) == set()
    assert json.loads(requests[0].params_key)["id"] == QUOTED[0]

    name = "O'Brien\"; DROP TABLE shop_detail;--"
    row = {
        "id": "42",
        "snapshot_date": dt.date(2026, 11, 24),
        "name": name,
        "country": "U'S",
        "fetched_at": now,
        "raw": {"name": name},
    }
    with engine.begin() as conn:
        warehouse.upsert(conn, shop_detail, [row])
        warehouse.upsert(conn, shop_detail, [row])  # the conflict path binds them too
    stored_rows = warehouse.read_table("shop_detail")
    assert list(stored_rows["name"]) == [name] and list(stored_rows["country"]) == ["U'S"]
    assert stored_rows["raw"].iloc[0] == {"name": name}
    calls = warehouse.read_table("api_calls")
    assert (len(calls[~calls["cache_hit"]]), len(calls[calls["cache_hit"]])) == (4, len(QUOTED))
