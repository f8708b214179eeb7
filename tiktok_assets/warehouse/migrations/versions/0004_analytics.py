"""The analytics tables (issue #14): leaderboards of products, shops and creators, movers,
new products, price changes, creator-product links, and the alerts fired.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=20), nullable=True),
        sa.Column("fired_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("dedupe_key"),
    )
    op.create_table(
        "creator_leaderboard",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.String(length=20), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("sales", sa.BigInteger(), nullable=True),
        sa.Column("products", sa.Integer(), nullable=True),
        sa.Column("videos", sa.Integer(), nullable=True),
        sa.Column("followers", sa.BigInteger(), nullable=True),
        sa.Column("rank_change", sa.Integer(), nullable=True),
        sa.Column("numbers_date", sa.Date(), nullable=False),
        sa.Column("data_age_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_date", "period", "rank"),
    )
    op.create_table(
        "creator_product_links",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("creator_id", sa.String(length=20), nullable=False),
        sa.Column("product_id", sa.String(length=20), nullable=False),
        sa.Column("in_creator_list", sa.Boolean(), nullable=False),
        sa.Column("videos", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("attributed_revenue", sa.Float(), nullable=True),
        sa.Column("attributed_sales", sa.BigInteger(), nullable=True),
        sa.Column("numbers_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("snapshot_date", "creator_id", "product_id"),
    )
    op.create_table(
        "new_products",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("shop_id", sa.String(length=20), nullable=True),
        sa.Column("first_seen_date", sa.Date(), nullable=False),
        sa.Column("first_seen_in", sa.String(length=20), nullable=False),
        sa.Column("list_owner_id", sa.String(length=20), nullable=True),
        sa.Column("rank_on_entry", sa.Integer(), nullable=True),
        sa.Column("first_sales_date", sa.Date(), nullable=True),
        sa.Column("revenue_since_first_seen", sa.Float(), nullable=True),
        sa.Column("early_growth", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("snapshot_date", "product_id"),
    )
    op.create_table(
        "price_changes",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=20), nullable=False),
        sa.Column("change_date", sa.Date(), nullable=False),
        sa.Column("previous_date", sa.Date(), nullable=False),
        sa.Column("old_price", sa.Float(), nullable=False),
        sa.Column("new_price", sa.Float(), nullable=False),
        sa.Column("change_pct", sa.Float(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("snapshot_date", "product_id", "change_date"),
    )
    op.create_table(
        "product_leaderboard",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("shop_id", sa.String(length=20), nullable=True),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("sales", sa.BigInteger(), nullable=True),
        sa.Column("rank_change", sa.Integer(), nullable=True),
        sa.Column("numbers_date", sa.Date(), nullable=False),
        sa.Column("data_age_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_date", "period", "rank"),
    )
    op.create_table(
        "product_movers",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=20), nullable=False),
        sa.Column("revenue_7d", sa.Float(), nullable=True),
        sa.Column("revenue_prev_7d", sa.Float(), nullable=True),
        sa.Column("days_7d", sa.Integer(), nullable=False),
        sa.Column("days_prev_7d", sa.Integer(), nullable=False),
        sa.Column("sales_7d", sa.BigInteger(), nullable=True),
        sa.Column("sales_prev_7d", sa.BigInteger(), nullable=True),
        sa.Column("growth", sa.Float(), nullable=True),
        sa.Column("slope_14d", sa.Float(), nullable=True),
        sa.Column("trend", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("snapshot_date", "product_id"),
    )
    op.create_table(
        "shop_leaderboard",
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("sales", sa.BigInteger(), nullable=True),
        sa.Column("products", sa.Integer(), nullable=True),
        sa.Column("rank_change", sa.Integer(), nullable=True),
        sa.Column("numbers_date", sa.Date(), nullable=False),
        sa.Column("data_age_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_date", "period", "rank"),
    )


def downgrade() -> None:
    op.drop_table("shop_leaderboard")
    op.drop_table("product_movers")
    op.drop_table("product_leaderboard")
    op.drop_table("price_changes")
    op.drop_table("new_products")
    op.drop_table("creator_product_links")
    op.drop_table("creator_leaderboard")
    op.drop_table("alerts")
