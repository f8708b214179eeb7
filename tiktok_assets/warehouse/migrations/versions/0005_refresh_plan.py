"""The refresh policy's plan (`refresh_plan`): per tracked route, its last fetch, the day's
decision and reason, and its next due date.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refresh_plan",
        sa.Column("asset", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(20), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("policy", sa.String(20), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("band", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("last_fetch", sa.Date(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("change_rate", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("asset", "entity_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("refresh_plan")
