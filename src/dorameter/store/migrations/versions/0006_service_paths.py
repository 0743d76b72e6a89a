"""Monorepo services: the files each commit changed, and the path prefixes of each service.

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
    # NULL: not read (only repositories with path-defined services need them).
    op.add_column("commits", sa.Column("paths", sa.Text))
    op.create_table(
        "service_paths",
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), primary_key=True),
        sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), primary_key=True),
        sa.Column("prefixes", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_paths")
    with op.batch_alter_table("commits") as batch:
        batch.drop_column("paths")
