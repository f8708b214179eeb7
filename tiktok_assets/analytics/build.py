"""What each analytics asset computes and shows: its table's rows for a day (the queries and
pure functions of `compute`), a Markdown preview with a chart, and the numbers Dagster plots.
`refresh` writes a table's rows for a day; the assets (`tiktok_assets.analytics.assets`) call
it when they run."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dagster import MaterializeResult, MetadataValue

from tiktok_assets import clock
from tiktok_assets.analytics import compute, movers, preview, queries
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse import tables as t

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

PREVIEW_PERIOD = 7
"""The period the leaderboards' preview and chart show (the first period present otherwise)."""


@dataclass(frozen=True)
class Built:
    """A computed table for a day and what the UI shows of it."""

    frame: "pd.DataFrame"
    markdown: str
    numbers: dict[str, float | int]


def _period_rows(frame: "pd.DataFrame") -> tuple[int | None, "pd.DataFrame"]:
    if frame.empty:
        return None, frame
    periods = sorted(int(p) for p in frame["period"].unique())
    period = PREVIEW_PERIOD if PREVIEW_PERIOD in periods else periods[0]
    return period, frame[frame["period"] == period]


def _empty(why: str) -> str:
    return f"**No rows.** {why}"


def _leaderboard_markdown(
    frame: "pd.DataFrame", name: str, key: str, label: str, extra: list[preview.Column], why: str
) -> str:
    period, rows = _period_rows(frame)
    if period is None:
        return _empty(why)
    columns: list[preview.Column] = [
        ("rank", "rank", preview.count),
        ("rank_change", "Δ rank", preview.signed),
        (key, key, preview.text),
        (label, label, preview.text),
        ("revenue", f"revenue ({period} d)", preview.money),
        ("sales", "sales", preview.count),
        *extra,
        ("numbers_date", "numbers of", preview.text),
        ("data_age_days", "age (d)", preview.count),
    ]
    top = rows.head(10)
    chart = preview.bar_chart(
        [
            str(v if preview.text(v) != "—" else k)
            for v, k in zip(top[label], top[key], strict=True)
        ],
        list(top["revenue"]),
        f"{name}: top 10 by revenue, last {period} days",
        "revenue",
    )
    return (
        f"### Top 10, {period}-day period ({len(rows)} ranked; periods "
        f"{', '.join(str(p) for p in sorted(frame['period'].unique()))})\n\n"
        f"{preview.markdown_table(top, columns)}\n\n{chart}"
    )


def _leaderboard_numbers(frame: "pd.DataFrame") -> dict[str, float | int]:
    period, rows = _period_rows(frame)
    numbers: dict[str, float | int] = {"dagster/row_count": len(frame)}
    if period is not None:
        numbers[f"total_revenue_{period}d"] = float(rows["revenue"].fillna(0).sum())
        numbers["ranked"] = len(rows)
        numbers["max_data_age_days"] = int(frame["data_age_days"].max())
    return numbers


def build_product_leaderboard(engine: "sa.Engine", today: dt.date) -> Built:
    frame = compute.product_leaderboard(engine, today)
    why = "No `product_total` rows yet: materialize `product_total` for tracked products."
    md = _leaderboard_markdown(
        frame,
        "product_leaderboard",
        "product_id",
        "title",
        [("shop_id", "shop", preview.text)],
        why,
    )
    return Built(frame, md, _leaderboard_numbers(frame))


def build_shop_leaderboard(engine: "sa.Engine", today: dt.date) -> Built:
    frame = compute.shop_leaderboard(engine, today)
    why = "No `shop_total` rows yet: materialize `shop_total` for tracked shops."
    md = _leaderboard_markdown(
        frame, "shop_leaderboard", "shop_id", "name", [("products", "products", preview.count)], why
    )
    return Built(frame, md, _leaderboard_numbers(frame))


def build_creator_leaderboard(engine: "sa.Engine", today: dt.date) -> Built:
    frame = compute.creator_leaderboard(engine, today)
    why = "No `creator_total` rows yet: materialize `creator_total` for tracked creators."
    extra: list[preview.Column] = [
        ("products", "products", preview.count),
        ("videos", "videos", preview.count),
    ]
    md = _leaderboard_markdown(frame, "creator_leaderboard", "creator_id", "creator_id", extra, why)
    return Built(frame, md, _leaderboard_numbers(frame))


def build_product_movers(engine: "sa.Engine", today: dt.date) -> Built:
    first, last = movers.window(today)
    history = queries.history(engine, first, last)  # the frame's input, and the chart's
    frame = movers.product_movers(history, today)
    numbers: dict[str, float | int] = {"dagster/row_count": len(frame)}
    if frame.empty:
        why = "No `product_history` rows in the last 14 days: materialize `product_history`."
        return Built(frame, _empty(why), numbers)
    for trend in ("up", "stable", "down"):
        numbers[f"trend_{trend}"] = int((frame["trend"] == trend).sum())
    numbers["revenue_7d"] = float(frame["revenue_7d"].fillna(0).sum())
    numbers["growth_unknown"] = int(frame["growth"].isna().sum())
    ranked = frame.dropna(subset=["growth"]).sort_values("growth", ascending=False)
    columns: list[preview.Column] = [
        ("product_id", "product", preview.text),
        ("revenue_7d", "revenue 7 d", preview.money),
        ("revenue_prev_7d", "previous 7 d", preview.money),
        ("growth", "growth", preview.percent),
        ("slope_14d", "slope / day", preview.money),
        ("trend", "trend", preview.text),
    ]
    top = ranked.head(5)
    series = {}
    for product_id in top["product_id"]:
        rows = history[history["id"] == product_id]
        series[product_id] = (list(rows["date"]), list(rows["revenue"]))
    chart = preview.line_chart(series, "top 5 movers: daily revenue, last 14 days")
    md = (
        f"### Top 10 by week-over-week growth ({len(ranked)} with complete weeks, "
        f"{numbers['growth_unknown']} unknown)\n\n{preview.markdown_table(ranked, columns)}"
        f"\n\n{chart}"
    )
    return Built(frame, md, numbers)


def build_new_products(engine: "sa.Engine", today: dt.date) -> Built:
    frame = compute.new_products(engine, today)
    numbers: dict[str, float | int] = {"dagster/row_count": len(frame)}
    if frame.empty:
        why = (
            "No product entered a tracked list or started selling in the last 14 days "
            "(a list's first fetch and a history without a day before the first sale count as "
            "already there)."
        )
        return Built(frame, _empty(why), numbers)
    numbers["revenue_since_first_seen"] = float(frame["revenue_since_first_seen"].fillna(0).sum())
    columns: list[preview.Column] = [
        ("product_id", "product", preview.text),
        ("title", "title", preview.text),
        ("first_seen_date", "first seen", preview.text),
        ("first_seen_in", "in", preview.text),
        ("rank_on_entry", "rank on entry", preview.count),
        ("revenue_since_first_seen", "revenue since", preview.money),
        ("early_growth", "early growth", preview.percent),
    ]
    top = frame.sort_values("revenue_since_first_seen", ascending=False, na_position="last")
    chart = preview.bar_chart(
        list(top.head(10)["product_id"]),
        list(top.head(10)["revenue_since_first_seen"]),
        "new products: revenue since first seen",
        "revenue",
    )
    md = f"### Newest 10 of {len(frame)}\n\n{preview.markdown_table(frame, columns)}\n\n{chart}"
    return Built(frame, md, numbers)


def build_price_changes(engine: "sa.Engine", today: dt.date) -> Built:
    frame = compute.price_changes(engine, today)
    numbers: dict[str, float | int] = {"dagster/row_count": len(frame)}
    if frame.empty:
        why = (
            "No price change of a tracked product in the last 90 days (prices are compared "
            "across the snapshot dates of `product_detail` and `shop_products`)."
        )
        return Built(frame, _empty(why), numbers)
    numbers["price_cuts"] = int((frame["new_price"] < frame["old_price"]).sum())
    numbers["price_rises"] = int((frame["new_price"] > frame["old_price"]).sum())
    columns: list[preview.Column] = [
        ("change_date", "date", preview.text),
        ("product_id", "product", preview.text),
        ("title", "title", preview.text),
        ("old_price", "old", preview.money),
        ("new_price", "new", preview.money),
        ("change_pct", "change", preview.pct),
    ]
    top = frame.head(10)
    chart = preview.bar_chart(
        list(top["product_id"]), list(top["change_pct"]), "latest price changes (%)", "change %"
    )
    md = f"### Latest 10 of {len(frame)}\n\n{preview.markdown_table(frame, columns)}\n\n{chart}"
    return Built(frame, md, numbers)


def build_creator_product_links(engine: "sa.Engine", today: dt.date) -> Built:
    frame = compute.creator_product_links(engine, today)
    numbers: dict[str, float | int] = {"dagster/row_count": len(frame)}
    if frame.empty:
        why = "No `creator_products` or `video_detail` rows yet."
        return Built(frame, _empty(why), numbers)
    numbers["creators"] = int(frame["creator_id"].nunique())
    numbers["products"] = int(frame["product_id"].nunique())
    numbers["attributed_revenue"] = float(frame["attributed_revenue"].fillna(0).sum())
    top = frame.sort_values("attributed_revenue", ascending=False, na_position="last")
    columns: list[preview.Column] = [
        ("creator_id", "creator", preview.text),
        ("product_id", "product", preview.text),
        ("attributed_revenue", "attributed revenue", preview.money),
        ("attributed_sales", "sales", preview.count),
        ("period", "period", preview.count),
        ("videos", "videos", preview.count),
    ]
    head = top.head(10)
    chart = preview.bar_chart(
        [f"{c} → {p}" for c, p in zip(head["creator_id"], head["product_id"], strict=True)],
        list(head["attributed_revenue"]),
        "top creator → product links by attributed revenue",
        "revenue",
    )
    md = (
        f"### Top 10 of {len(frame)} links by attributed revenue\n\n"
        f"{preview.markdown_table(top, columns)}\n\n{chart}"
    )
    return Built(frame, md, numbers)


BUILDERS: dict[str, Callable[["sa.Engine", dt.date], Built]] = {
    "product_leaderboard": build_product_leaderboard,
    "product_movers": build_product_movers,
    "new_products": build_new_products,
    "price_changes": build_price_changes,
    "shop_leaderboard": build_shop_leaderboard,
    "creator_leaderboard": build_creator_leaderboard,
    "creator_product_links": build_creator_product_links,
}


def refresh(warehouse: Warehouse, name: str, today: dt.date | None = None) -> MaterializeResult:
    """Compute table `name` for `today`, replace that day's rows, and describe them."""
    day = today or clock.today()
    engine = warehouse.engine
    built = BUILDERS[name](engine, day)
    written = queries.replace_snapshot(engine, t.ANALYTICS_TABLES[name], day, built.frame)
    metadata: dict[str, Any] = {
        "preview": MetadataValue.md(built.markdown),
        "snapshot_date": MetadataValue.text(day.isoformat()),
    }
    for key, value in built.numbers.items():
        metadata[key] = (
            MetadataValue.int(value) if isinstance(value, int) else MetadataValue.float(value)
        )
    metadata["dagster/row_count"] = MetadataValue.int(written)
    return MaterializeResult(metadata=metadata)
