"""Baselines (saved figures with the samples behind them) and goals.

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
        "baselines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(500), nullable=False),
        sa.Column("since", sa.BigInteger, nullable=False),
        sa.Column("until", sa.BigInteger, nullable=False),
        sa.Column("bands", sa.String(10), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.UniqueConstraint("scope", "name", name="uq_baselines_scope_name"),
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String(500), nullable=False),
        sa.Column("metric", sa.String(50), nullable=False),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("due", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("scope", "metric", name="uq_goals_scope_metric"),
    )


def downgrade() -> None:
    op.drop_table("goals")
    op.drop_table("baselines")
