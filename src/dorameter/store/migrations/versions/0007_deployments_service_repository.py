"""The repositories each service deployed from, by index: (service, repository) of deployments.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Flow reads ask every report which repositories each service deployed from: a skip scan
    # of this index (one seek per pair) instead of reading every deployment.
    op.create_index(
        "ix_deployments_service_repository", "deployments", ["service_id", "repository_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_deployments_service_repository", table_name="deployments")
