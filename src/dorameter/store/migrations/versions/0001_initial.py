"""Initial schema: repositories, services, commits, deployments, shipped, incidents, cursors.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(400), nullable=False, unique=True),
        sa.Column("location", sa.Text),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(400), nullable=False, unique=True),
    )
    op.create_table(
        "commits",
        sa.Column("id", ID, primary_key=True),
        sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("parents", sa.Text, nullable=False),
        sa.Column("author_name", sa.Text, nullable=False),
        sa.Column("author_email", sa.Text, nullable=False),
        sa.Column("author_time", sa.BigInteger, nullable=False),
        sa.Column("committer_time", sa.BigInteger, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("reverts", sa.String(64)),
        sa.Column("additions", sa.Integer),
        sa.Column("deletions", sa.Integer),
        sa.Column("files", sa.Integer),
        sa.UniqueConstraint("repository_id", "sha", name="uq_commits_repository_sha"),
    )
    op.create_table(
        "deployments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("external_id", sa.String(500), nullable=False, unique=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("environment", sa.String(200), nullable=False),
        sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id")),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("ref", sa.Text),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("finished_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rollback", sa.Boolean, nullable=False),
        sa.Column("fixes", sa.String(500)),
        sa.Column("attributed", sa.Boolean, nullable=False),
        sa.Column("version_missing", sa.Boolean, nullable=False),
        sa.Column("shipped_rollback", sa.Boolean, nullable=False),
        sa.Column("rollback_base_id", sa.BigInteger),
    )
    op.create_index(
        "ix_deployments_service_env_finished",
        "deployments",
        ["service_id", "environment", "finished_at"],
    )
    op.create_table(
        "shipped",
        sa.Column(
            "deployment_id", sa.BigInteger, sa.ForeignKey("deployments.id"), primary_key=True
        ),
        sa.Column("commit_id", sa.BigInteger, sa.ForeignKey("commits.id"), primary_key=True),
        sa.Column("before_tracking", sa.Boolean, nullable=False),
    )
    op.create_index("ix_shipped_commit", "shipped", ["commit_id"])
    op.create_table(
        "incidents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("external_id", sa.String(500), nullable=False, unique=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("resolved_at", sa.BigInteger),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(50)),
        sa.Column("caused_by_deployment", sa.String(500)),
        sa.Column("caused_by_sha", sa.String(64)),
        sa.Column("change_caused", sa.Boolean),
    )
    op.create_index("ix_incidents_service_started", "incidents", ["service_id", "started_at"])
    op.create_table(
        "cursors",
        sa.Column("source", sa.String(50), primary_key=True),
        sa.Column("scope", sa.String(500), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("cursors", "incidents", "shipped", "deployments", "commits"):
        op.drop_table(table)
    op.drop_table("services")
    op.drop_table("repositories")
