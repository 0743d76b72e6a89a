"""Deployments and incidents remember when their source reported the state they hold.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("deployments", "incidents"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("state_at", sa.BigInteger))


def downgrade() -> None:
    for table in ("deployments", "incidents"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("state_at")
