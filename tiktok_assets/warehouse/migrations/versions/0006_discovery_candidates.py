"""Discovery's candidates (`discovery_candidates`): the ids the fetched data names that
discovery may add (shops), with their evidence, score and the sensor's decision.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discovery_candidates",
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("id", sa.String(20), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("products_seen", sa.Integer(), nullable=False),
        sa.Column("products_revenue", sa.Float(), nullable=False),
        sa.Column("creators_selling", sa.Integer(), nullable=False),
        sa.Column("creator_revenue", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("entity", "id"),
    )


def downgrade() -> None:
    op.drop_table("discovery_candidates")
