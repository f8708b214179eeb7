"""The alerts' SQL: what the rules read, and table `alerts` (record once, pending, delivered)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tiktok_assets.analytics import queries
from tiktok_assets.analytics.alerts.evaluate import Firing, Inputs
from tiktok_assets.analytics.alerts.rules import Rule
from tiktok_assets.warehouse import tables as t

if TYPE_CHECKING:
    import pandas as pd


def _today_rows(engine: sa.Engine, table: sa.Table, columns: list[str], today: dt.date):
    query = sa.select(*(table.c[c] for c in columns)).where(table.c.snapshot_date == today)
    return queries.read(engine, query)


def read_inputs(engine: sa.Engine, rules: list[Rule], today: dt.date) -> Inputs:
    """Today's analytics rows and the shops' two latest top lists the rules need."""
    import pandas as pd

    kinds = {r.kind for r in rules}
    empty = pd.DataFrame()
    tracked: set[str] = set()
    if kinds:
        with engine.connect() as conn:
            tracked = {str(v) for (v,) in conn.execute(queries.tracked_product_ids())}
    movers = empty
    if "sales_drop" in kinds:
        movers = _today_rows(
            engine,
            t.product_movers,
            ["product_id", "days_7d", "days_prev_7d", "sales_7d", "sales_prev_7d"],
            today,
        )
    changes = empty
    if "price_cut" in kinds:
        changes = _today_rows(
            engine,
            t.price_changes,
            ["product_id", "change_date", "old_price", "new_price", "change_pct"],
            today,
        )
    links_today, links_before = empty, None
    if "creator_promotes" in kinds:
        columns = ["creator_id", "product_id", "videos"]
        links_today = _today_rows(engine, t.creator_product_links, columns, today)
        before = queries.previous_snapshot(engine, t.creator_product_links, columns, today)
        links_before = before if not before.empty else None
    lists = empty
    tops = [r for r in rules if r.kind == "new_in_top"]
    if tops:
        lists = _top_lists(engine, max(int(r.param("top")) for r in tops), today)
    titles: dict[str, str] = {}
    board = _today_rows(engine, t.product_leaderboard, ["product_id", "title"], today)
    for row in board.dropna(subset=["title"]).itertuples(index=False):
        titles[str(row.product_id)] = str(row.title)
    return Inputs(
        tracked=frozenset(tracked),
        movers=movers,
        price_changes=changes,
        links_today=links_today,
        links_before=links_before,
        shop_lists=lists,
        titles=titles,
    )


def _top_lists(engine: sa.Engine, top: int, today: dt.date) -> pd.DataFrame:
    """The top `top` rows of each shop's and period's two latest lists."""
    s = t.shop_products
    dates = (
        sa.select(s.c.shop_id, s.c.period, s.c.snapshot_date)
        .where(s.c.snapshot_date <= today)
        .distinct()
        .subquery()
    )
    ranked = sa.select(
        dates.c.shop_id,
        dates.c.period,
        dates.c.snapshot_date,
        sa.func.row_number()
        .over(partition_by=[dates.c.shop_id, dates.c.period], order_by=dates.c.snapshot_date.desc())
        .label("n"),
    ).subquery()
    query = (
        sa.select(s.c.shop_id, s.c.period, s.c.snapshot_date, s.c.rank, s.c.product_id, s.c.title)
        .select_from(
            s.join(
                ranked,
                sa.and_(
                    s.c.shop_id == ranked.c.shop_id,
                    s.c.period == ranked.c.period,
                    s.c.snapshot_date == ranked.c.snapshot_date,
                ),
            )
        )
        .where(ranked.c.n <= 2, s.c.rank <= top)
    )
    return queries.read(engine, query)


def record(engine: sa.Engine, firings: list[Firing], now: dt.datetime) -> int:
    """Insert the firings not recorded yet (by dedupe key); returns how many were new."""
    if not firings:
        return 0
    unique = list({f.dedupe_key: f for f in firings}.values())
    rows = [
        {
            "dedupe_key": f.dedupe_key[:200],
            "rule": f.rule,
            "kind": f.kind,
            "entity_id": f.entity_id,
            "fired_on": f.fired_on,
            "text": f.text,
            "details": f.details,
            "created_at": now,
            "attempts": 0,
        }
        for f in unique
    ]
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    table = t.alerts
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    count = sa.select(sa.func.count()).select_from(table)
    with engine.begin() as conn:  # one executemany; new = rows added by this transaction
        before = conn.execute(count).scalar_one()
        conn.execute(stmt, rows)
        return conn.execute(count).scalar_one() - before


def pending(engine: sa.Engine) -> list[dict[str, Any]]:
    """Alerts not delivered yet, oldest first."""
    a = t.alerts
    query = (
        sa.select(
            a.c.dedupe_key, a.c.rule, a.c.kind, a.c.entity_id, a.c.fired_on, a.c.text, a.c.details
        )
        .where(a.c.delivered_at.is_(None))
        .order_by(a.c.created_at, a.c.dedupe_key)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def mark(
    engine: sa.Engine,
    key: str,
    *,
    delivered_at: dt.datetime | None,
    error: str | None,
    attempts: int,
) -> None:
    """Record one delivery attempt's outcome."""
    a = t.alerts
    values: dict[str, Any] = {"attempts": a.c.attempts + attempts, "last_error": error}
    if delivered_at is not None:
        values["delivered_at"] = delivered_at
    with engine.begin() as conn:
        conn.execute(sa.update(a).where(a.c.dedupe_key == key).values(**values))
