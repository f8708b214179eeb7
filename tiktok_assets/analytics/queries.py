"""The analytics package's SQL: reads of the API tables and the snapshot writer.

Every read is bounded by `today` (rows dated after it are ignored, so a replay of an earlier
day computes what that day saw) and returns a pandas DataFrame with typed columns: dates as
`datetime64`, ids as strings. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tiktok_assets.warehouse import tables as t

if TYPE_CHECKING:
    import pandas as pd

_INSERT_CHUNK = 1000


def _frame(conn: sa.Connection, query: sa.Select, columns: Sequence[str]) -> pd.DataFrame:
    """Rows through the DBAPI cursor, without SQLAlchemy's per-value processing (SQLite hands
    dates over as ISO strings; they are parsed column-wise below, much faster)."""
    import pandas as pd

    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
    if compiled.positiontup is not None:
        bound: Any = tuple(params[k] for k in compiled.positiontup)
    else:
        bound = params
    cursor = conn.exec_driver_sql(str(compiled), bound).cursor
    rows = cursor.fetchall() if cursor is not None else []
    frame = pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)
    for name in columns:
        if name in ("snapshot_date", "date") or name.endswith("_date"):
            frame[name] = pd.to_datetime(frame[name])
    return frame


def read(engine: sa.Engine, query: sa.Select, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Run `query` and return its rows (column names from the query unless given)."""
    names = list(columns) if columns is not None else [c.name for c in query.selected_columns]
    with engine.connect() as conn:
        return _frame(conn, query, names)


def latest_rows(
    table: sa.Table, group: Sequence[str], columns: Sequence[str], today: dt.date
) -> sa.Select:
    """The rows of each `group`'s latest snapshot on or before `today`."""
    latest = (
        sa.select(*(table.c[g] for g in group), sa.func.max(table.c.snapshot_date).label("latest"))
        .where(table.c.snapshot_date <= today)
        .group_by(*(table.c[g] for g in group))
        .subquery()
    )
    on = sa.and_(
        *(table.c[g] == latest.c[g] for g in group), table.c.snapshot_date == latest.c.latest
    )
    return sa.select(*(table.c[c] for c in columns)).select_from(table.join(latest, on))


def latest_totals(engine: sa.Engine, name: str, today: dt.date) -> pd.DataFrame:
    """`id, period, snapshot_date, revenue, sales` (+ the table's counts) of each id's and
    period's latest `*_total` snapshot."""
    table = t.metadata.tables[name]
    extra = [c for c in ("videos", "followers") if c in table.c]
    columns = ["id", "period", "snapshot_date", "revenue", "sales", *extra]
    return read(engine, latest_rows(table, ["id", "period"], columns, today))


def latest_profiles(engine: sa.Engine, name: str, columns: Sequence[str], today: dt.date):
    """Each id's latest `*_detail` row (`id` and `columns`)."""
    table = t.metadata.tables[name]
    return read(engine, latest_rows(table, ["id"], ["id", *columns], today))


def latest_lists(
    engine: sa.Engine,
    name: str,
    columns: Sequence[str],
    today: dt.date,
    *,
    untitled_only: bool = False,
) -> pd.DataFrame:
    """The latest ranked list (`shop_products`, `creator_products`) of each owner and period;
    `untitled_only`: only rows of products without a `product_detail` title (title fallback)."""
    table = t.metadata.tables[name]
    owner = t.LIST_OWNERS[name]
    base = [owner, "period", "snapshot_date", "rank", "product_id"]
    query = latest_rows(table, [owner, "period"], [*base, *columns], today)
    if untitled_only:
        titled = sa.select(t.product_detail.c.id).where(
            t.product_detail.c.title.is_not(None), t.product_detail.c.snapshot_date <= today
        )
        query = query.where(table.c.product_id.not_in(titled))
    return read(engine, query)


def history(engine: sa.Engine, first: dt.date, last: dt.date) -> pd.DataFrame:
    """`id, date, revenue, sales` of `product_history` from `first` to `last` inclusive."""
    h = t.product_history
    query = (
        sa.select(h.c.id, h.c.date, h.c.revenue, h.c.sales)
        .where(h.c.date >= first, h.c.date <= last)
        .order_by(h.c.id, h.c.date)
    )
    return read(engine, query)


def previous_snapshot(
    engine: sa.Engine, table: sa.Table, columns: Sequence[str], today: dt.date
) -> pd.DataFrame:
    """The rows of `table`'s latest snapshot before `today` (empty when there is none)."""
    before = (
        sa.select(sa.func.max(table.c.snapshot_date))
        .where(table.c.snapshot_date < today)
        .scalar_subquery()
    )
    query = sa.select(*(table.c[c] for c in columns)).where(table.c.snapshot_date == before)
    return read(engine, query)


def replace_snapshot(
    engine: sa.Engine, table: sa.Table, today: dt.date, frame: pd.DataFrame
) -> int:
    """Replace `table`'s rows of `today` by `frame`'s (one transaction); returns the count."""
    rows = records(frame, table, today)
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.snapshot_date == today))
        for start in range(0, len(rows), _INSERT_CHUNK):
            conn.execute(sa.insert(table), rows[start : start + _INSERT_CHUNK])
    return len(rows)


def records(frame: pd.DataFrame, table: sa.Table, today: dt.date) -> list[dict[str, Any]]:
    """`frame`'s rows as plain Python values for `table` (NaN/NaT → None, dates as dates)."""
    import pandas as pd

    if frame.empty:
        return []
    columns: dict[str, list[Any]] = {}
    for column in table.columns:
        if column.name == "snapshot_date":
            columns[column.name] = [today] * len(frame)
            continue
        series = frame[column.name]
        if isinstance(column.type, sa.Date):
            values = pd.to_datetime(series)
            columns[column.name] = [None if pd.isna(v) else v.date() for v in values]
            continue
        plain = series.astype(object).where(series.notna(), None).tolist()
        if isinstance(column.type, sa.Integer | sa.BigInteger):
            plain = [None if v is None else int(v) for v in plain]
        elif isinstance(column.type, sa.Float):
            plain = [None if v is None else float(v) for v in plain]
        elif isinstance(column.type, sa.Boolean):
            plain = [None if v is None else bool(v) for v in plain]
        columns[column.name] = plain
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def list_appearances(engine: sa.Engine, today: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per list source (`shop_products`, `creator_products`): each product's first day in
    each owner's list with its best rank that day (`source, owner_id, product_id,
    snapshot_date, rank`), and each owner's first list date (`source, owner_id,
    first_list_date`)."""
    import pandas as pd

    appearances, owners = [], []
    for name, owner in t.LIST_OWNERS.items():
        table = t.metadata.tables[name]
        ordered = (
            sa.select(
                table.c[owner],
                table.c.product_id,
                table.c.snapshot_date,
                table.c.rank,
                sa.func.row_number()
                .over(
                    partition_by=[table.c[owner], table.c.product_id],
                    order_by=[table.c.snapshot_date, table.c.rank],
                )
                .label("n"),
            )
            .where(table.c.snapshot_date <= today)
            .subquery()
        )
        query = sa.select(
            ordered.c[owner], ordered.c.product_id, ordered.c.snapshot_date, ordered.c.rank
        ).where(ordered.c.n == 1)
        frame = read(engine, query, ["owner_id", "product_id", "snapshot_date", "rank"])
        appearances.append(frame.assign(source=name))
        owner_query = (
            sa.select(table.c[owner], sa.func.min(table.c.snapshot_date))
            .where(table.c.snapshot_date <= today)
            .group_by(table.c[owner])
        )
        frame = read(engine, owner_query, ["owner_id", "first_list_date"])
        owners.append(frame.assign(source=name))
    return pd.concat(appearances, ignore_index=True), pd.concat(owners, ignore_index=True)


def history_summary(engine: sa.Engine, since: dt.date, today: dt.date) -> pd.DataFrame:
    """`id, date, revenue, sales` before `today` of the products whose first history row or
    first sale is on or after `since` (the candidates for `new_products`); no other product."""
    h = t.product_history
    firsts = (
        sa.select(
            h.c.id,
            sa.func.min(h.c.date).label("start"),
            sa.func.min(sa.case((h.c.sales > 0, h.c.date))).label("first_sale"),
        )
        .where(h.c.date < today)
        .group_by(h.c.id)
        .subquery()
    )
    candidates = sa.select(firsts.c.id).where(
        sa.or_(firsts.c.first_sale >= since, firsts.c.start >= since)
    )
    query = (
        sa.select(h.c.id, h.c.date, h.c.revenue, h.c.sales)
        .where(h.c.id.in_(candidates), h.c.date < today)
        .order_by(h.c.id, h.c.date)
    )
    return read(engine, query)


def first_sales_dates(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    """`id, history_start, first_sales_date` of every product with history before `today`."""
    h = t.product_history
    query = (
        sa.select(
            h.c.id,
            sa.func.min(h.c.date),
            sa.func.min(sa.case((h.c.sales > 0, h.c.date))),
        )
        .where(h.c.date < today)
        .group_by(h.c.id)
    )
    return read(engine, query, ["id", "history_start", "first_sales_date"])


def tracked_product_ids() -> sa.Select:
    """Ids of the tracked products: those with `product_total` or `product_detail` rows."""
    return sa.union(sa.select(t.product_total.c.id), sa.select(t.product_detail.c.id))


def observed_prices(engine: sa.Engine, since: dt.date, today: dt.date):
    """Prices of tracked products seen from `since` to `today`: (`product_detail` rows,
    `shop_products` rows)."""
    d, s = t.product_detail, t.shop_products
    details = read(
        engine,
        sa.select(d.c.id, d.c.snapshot_date, d.c.price).where(
            d.c.snapshot_date >= since, d.c.snapshot_date <= today
        ),
    )
    listed = read(
        engine,
        sa.select(s.c.product_id, s.c.snapshot_date, s.c.price)
        .where(s.c.snapshot_date >= since, s.c.snapshot_date <= today)
        .where(s.c.product_id.in_(tracked_product_ids()))
        .distinct(),
    )
    return details, listed


def latest_videos(engine: sa.Engine, today: dt.date) -> pd.DataFrame:
    """`id, creator_id, product_id` of each video's latest `video_detail` row."""
    return read(
        engine, latest_rows(t.video_detail, ["id"], ["id", "creator_id", "product_id"], today)
    )
