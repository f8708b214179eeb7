"""The warehouse's tables, as SQLAlchemy Core metadata (created on first use).

Snapshot tables keep one row per entity (and period) per UTC day: re-fetching on the same
day replaces that day's row, the next day adds one, so rolling aggregates gain a history.
Every row keeps `fetched_at`; snapshot rows keep the `raw` JSON object as the API sent it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.String(20)


def _id(name: str = "id") -> sa.Column:
    return sa.Column(name, ID, primary_key=True)


def _period() -> sa.Column:
    return sa.Column("period", sa.Integer, primary_key=True)


def _snapshot_date() -> sa.Column:
    return sa.Column("snapshot_date", sa.Date, primary_key=True)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw", JSONType, nullable=False),
    ]


def _ranked_list(name: str, owner: str, *fields: sa.Column) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        _id(owner),
        _period(),
        _snapshot_date(),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("product_id", ID, nullable=False),
        *fields,
        *_stamps(),
    )


shop_detail = sa.Table(
    "shop_detail",
    metadata,
    _id(),
    _snapshot_date(),
    sa.Column("name", sa.Text),
    sa.Column("country", sa.String(8)),
    sa.Column("logo", sa.Text),
    sa.Column("products_count", sa.Integer),
    sa.Column("creators_count", sa.Integer),
    sa.Column("rating", sa.Float),
    *_stamps(),
)

shop_total = sa.Table(
    "shop_total",
    metadata,
    _id(),
    _period(),
    _snapshot_date(),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("avg_price", sa.Float),
    sa.Column("conversion_rate", sa.Float),
    *_stamps(),
)

shop_products = _ranked_list(
    "shop_products",
    "shop_id",
    sa.Column("title", sa.Text),
    sa.Column("price", sa.Float),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
)

product_detail = sa.Table(
    "product_detail",
    metadata,
    _id(),
    _snapshot_date(),
    sa.Column("title", sa.Text),
    sa.Column("shop_id", ID),
    sa.Column("price", sa.Float),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("rating", sa.Float),
    sa.Column("image", sa.Text),
    *_stamps(),
)


def _provenance() -> list[sa.Column]:
    """Where a derivable row's numbers came from: `source` is `api` (its own answer),
    `shop_products` (a shop's list of the day) or `product_history` (a daily series of the
    day); `source_call_id` is the `api_calls` row of that answer (null on rows written
    before provenance was kept)."""
    return [
        sa.Column("source", sa.String(20), nullable=False, server_default="api"),
        sa.Column("source_call_id", sa.BigInteger),
    ]


product_total = sa.Table(
    "product_total",
    metadata,
    _id(),
    _period(),
    _snapshot_date(),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("avg_price", sa.Float),
    *_stamps(),
    *_provenance(),
)

product_history = sa.Table(
    "product_history",
    metadata,
    _id(),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    *_provenance(),
)

creator_total = sa.Table(
    "creator_total",
    metadata,
    _id(),
    _period(),
    _snapshot_date(),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("videos", sa.Integer),
    sa.Column("followers", sa.BigInteger),
    *_stamps(),
)

creator_products = _ranked_list(
    "creator_products",
    "creator_id",
    sa.Column("title", sa.Text),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
)

video_detail = sa.Table(
    "video_detail",
    metadata,
    _id(),
    _snapshot_date(),
    sa.Column("caption", sa.Text),
    sa.Column("creator_id", ID),
    sa.Column("product_id", ID),
    sa.Column("posted_at", sa.Date),
    *_stamps(),
)

video_metrics = sa.Table(
    "video_metrics",
    metadata,
    _id(),
    _period(),
    _snapshot_date(),
    sa.Column("views", sa.BigInteger),
    sa.Column("likes", sa.BigInteger),
    sa.Column("comments", sa.BigInteger),
    sa.Column("shares", sa.BigInteger),
    *_stamps(),
)

# -- the credit economy ----------------------------------------------------------------------

api_calls = sa.Table(
    "api_calls",
    metadata,
    sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("route", sa.String(80), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("entity_id", ID),
    sa.Column("status", sa.Integer),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("credits", sa.Integer, nullable=False),
    sa.Column("cache_hit", sa.Boolean, nullable=False, default=False),
    sa.Column("attempt", sa.Integer, nullable=False, default=1),
    sa.Column("run_id", sa.String(64)),
    sa.Column("error", sa.Text),
    sa.Column("body", JSONType),
    sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("call_date", sa.Date, nullable=False),
    sa.Index("ix_api_calls_lookup", "route", "params", "call_date"),
    sa.Index("ix_api_calls_month", "call_date"),
)
"""One row per HTTP request to the API (and per request served from the journal)."""

rate_limit_slots = sa.Table(
    "rate_limit_slots",
    metadata,
    sa.Column("bucket", sa.String(40), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("taken_at", sa.Float, nullable=False),
)
"""Per key bucket, a ring of the send times of its last `size` requests (created lazily)."""

rate_limit_buckets = sa.Table(
    "rate_limit_buckets",
    metadata,
    sa.Column("bucket", sa.String(40), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("next_slot", sa.Integer, nullable=False),
)
"""Per key bucket, the head of its ring in `rate_limit_slots`: its size (the rate it was laid
out for; 0 = not laid out yet) and the slot holding the oldest send time (the next to take)."""

source_reconciliation = sa.Table(
    "source_reconciliation",
    metadata,
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("source", sa.String(20), primary_key=True),
    sa.Column("asset", sa.String(40), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("derived_revenue", sa.Float),
    sa.Column("derived_sales", sa.BigInteger),
    sa.Column("fetched_revenue", sa.Float),
    sa.Column("fetched_sales", sa.BigInteger),
    sa.Column("agreed", sa.Boolean, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("derived_call_id", sa.BigInteger),
    sa.Column("fetched_call_id", sa.BigInteger),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)
"""One comparison of a derived partition with the API's own answer for it, on one day: a
source is used for an asset on a day only after a sample of such comparisons agreed."""

SNAPSHOT_TABLES = {
    t.name: t
    for t in (
        shop_detail,
        shop_total,
        product_detail,
        product_total,
        creator_total,
        video_detail,
        video_metrics,
    )
}
LIST_OWNERS = {"shop_products": "shop_id", "creator_products": "creator_id"}
"""The column naming whose list a ranked-list table row belongs to."""

# -- analytics -------------------------------------------------------------------------------
# Tables written by the assets of `tiktok_assets.analytics` (read the warehouse, no request).
# Each keeps one row set per `snapshot_date` (the day it was computed): re-computing on the
# same day replaces that day's rows.


def _analytics_key(*columns: sa.Column) -> list[sa.Column]:
    return [_snapshot_date(), *columns]


product_leaderboard = sa.Table(
    "product_leaderboard",
    metadata,
    *_analytics_key(_period(), sa.Column("rank", sa.Integer, primary_key=True)),
    sa.Column("product_id", ID, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("shop_id", ID),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("rank_change", sa.Integer),
    sa.Column("numbers_date", sa.Date, nullable=False),
    sa.Column("data_age_days", sa.Integer, nullable=False),
)
"""One row per tracked product, period and day: its rank by revenue in the period."""

product_movers = sa.Table(
    "product_movers",
    metadata,
    *_analytics_key(_id("product_id")),
    sa.Column("revenue_7d", sa.Float),
    sa.Column("revenue_prev_7d", sa.Float),
    sa.Column("days_7d", sa.Integer, nullable=False),
    sa.Column("days_prev_7d", sa.Integer, nullable=False),
    sa.Column("sales_7d", sa.BigInteger),
    sa.Column("sales_prev_7d", sa.BigInteger),
    sa.Column("growth", sa.Float),
    sa.Column("slope_14d", sa.Float),
    sa.Column("trend", sa.String(8)),
)
"""One row per product with daily history and day: week-over-week revenue growth and trend."""

new_products = sa.Table(
    "new_products",
    metadata,
    *_analytics_key(_id("product_id")),
    sa.Column("title", sa.Text),
    sa.Column("shop_id", ID),
    sa.Column("first_seen_date", sa.Date, nullable=False),
    sa.Column("first_seen_in", sa.String(20), nullable=False),
    sa.Column("list_owner_id", ID),
    sa.Column("rank_on_entry", sa.Integer),
    sa.Column("first_sales_date", sa.Date),
    sa.Column("revenue_since_first_seen", sa.Float),
    sa.Column("early_growth", sa.Float),
)
"""One row per product first seen within the last N days, per day."""

price_changes = sa.Table(
    "price_changes",
    metadata,
    *_analytics_key(_id("product_id"), sa.Column("change_date", sa.Date, primary_key=True)),
    sa.Column("previous_date", sa.Date, nullable=False),
    sa.Column("old_price", sa.Float, nullable=False),
    sa.Column("new_price", sa.Float, nullable=False),
    sa.Column("change_pct", sa.Float),
    sa.Column("title", sa.Text),
)
"""One row per price change of a tracked product (the date the new price was first seen)."""

shop_leaderboard = sa.Table(
    "shop_leaderboard",
    metadata,
    *_analytics_key(_period(), sa.Column("rank", sa.Integer, primary_key=True)),
    sa.Column("shop_id", ID, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("products", sa.Integer),
    sa.Column("rank_change", sa.Integer),
    sa.Column("numbers_date", sa.Date, nullable=False),
    sa.Column("data_age_days", sa.Integer, nullable=False),
)
"""One row per tracked shop, period and day: its rank by revenue in the period."""

creator_leaderboard = sa.Table(
    "creator_leaderboard",
    metadata,
    *_analytics_key(_period(), sa.Column("rank", sa.Integer, primary_key=True)),
    sa.Column("creator_id", ID, nullable=False),
    sa.Column("revenue", sa.Float),
    sa.Column("sales", sa.BigInteger),
    sa.Column("products", sa.Integer),
    sa.Column("videos", sa.Integer),
    sa.Column("followers", sa.BigInteger),
    sa.Column("rank_change", sa.Integer),
    sa.Column("numbers_date", sa.Date, nullable=False),
    sa.Column("data_age_days", sa.Integer, nullable=False),
)
"""One row per tracked creator, period and day: its rank by attributed revenue."""

creator_product_links = sa.Table(
    "creator_product_links",
    metadata,
    *_analytics_key(_id("creator_id"), _id("product_id")),
    sa.Column("in_creator_list", sa.Boolean, nullable=False),
    sa.Column("videos", sa.Integer, nullable=False),
    sa.Column("period", sa.Integer),
    sa.Column("attributed_revenue", sa.Float),
    sa.Column("attributed_sales", sa.BigInteger),
    sa.Column("numbers_date", sa.Date),
)
"""One row per (creator, product) pair seen in a creator's list or a video, per day."""

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("dedupe_key", sa.String(200), primary_key=True),
    sa.Column("rule", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("entity_id", ID),
    sa.Column("fired_on", sa.Date, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("details", JSONType, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
)
"""One row per alert firing (once: `dedupe_key`); `delivered_at` null while pending."""

refresh_plan = sa.Table(
    "refresh_plan",
    metadata,
    sa.Column("asset", sa.String(40), primary_key=True),
    sa.Column("entity_id", ID, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("planned_on", sa.Date, nullable=False),
    sa.Column("policy", sa.String(20), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("band", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("credits", sa.Integer, nullable=False),
    sa.Column("last_fetch", sa.Date),
    sa.Column("next_due", sa.Date, nullable=False),
    sa.Column("change_rate", sa.Float, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
)
"""The refresh policy's newest plan, one row per tracked route (an asset partition; `period`
0 for assets partitioned by id): its last fetch, what the plan of `planned_on` does with it
(`fetch`, `free`, `defer` or `wait`), why, and when it is next due."""

discovery_candidates = sa.Table(
    "discovery_candidates",
    metadata,
    sa.Column("entity", sa.String(20), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("first_seen", sa.Date, nullable=False),
    sa.Column("last_seen", sa.Date, nullable=False),
    sa.Column("products_seen", sa.Integer, nullable=False),
    sa.Column("products_revenue", sa.Float, nullable=False),
    sa.Column("creators_selling", sa.Integer, nullable=False),
    sa.Column("creator_revenue", sa.Float, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("credits", sa.Integer, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("admitted_on", sa.Date),
)
"""One row per id the fetched data names that discovery may add (today: shops named by the
products' profiles and lists): when it was first and last seen, the evidence for it (its
products seen and their 30-day revenue, the tracked creators selling them and their revenue),
its `score` (its expected 30-day revenue), what its first fetch would cost (`credits`), and
the discovery sensor's newest decision: `admitted`, `waiting` or `rejected`, with the reason."""

ANALYTICS_TABLES = {
    t.name: t
    for t in (
        product_leaderboard,
        product_movers,
        new_products,
        price_changes,
        shop_leaderboard,
        creator_leaderboard,
        creator_product_links,
    )
}
"""The analytics tables keyed by `snapshot_date` (`alerts` is keyed by its dedupe key)."""
