"""Provenance of derivable rows (`source`, `source_call_id` on product_total and
product_history) and the `source_reconciliation` table.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DERIVABLE = ("product_total", "product_history")


def upgrade() -> None:
    for table in DERIVABLE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("source", sa.String(20), nullable=False, server_default="api")
            )
            batch.add_column(sa.Column("source_call_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "source_reconciliation",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("asset", sa.String(40), nullable=False),
        sa.Column("id", sa.String(20), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("derived_revenue", sa.Float(), nullable=True),
        sa.Column("derived_sales", sa.BigInteger(), nullable=True),
        sa.Column("fetched_revenue", sa.Float(), nullable=True),
        sa.Column("fetched_sales", sa.BigInteger(), nullable=True),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("derived_call_id", sa.BigInteger(), nullable=True),
        sa.Column("fetched_call_id", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("date", "source", "asset", "id", "period"),
    )


def downgrade() -> None:
    op.drop_table("source_reconciliation")
    for table in DERIVABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("source_call_id")
            batch.drop_column("source")
