"""Pull requests, their commits and reviews, CI runs, the raw event log, API tokens.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "pull_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("external_id", sa.String(500), nullable=False, unique=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("author", sa.String(400), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("draft", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("ready_at", sa.BigInteger),
        sa.Column("merged_at", sa.BigInteger),
        sa.Column("closed_at", sa.BigInteger),
        sa.Column("merge_commit_sha", sa.String(64)),
        sa.Column("base_branch", sa.Text),
        sa.Column("head_branch", sa.Text),
        sa.Column("additions", sa.Integer),
        sa.Column("deletions", sa.Integer),
        sa.Column("changed_files", sa.Integer),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("first_commit_at", sa.BigInteger),
        sa.Column("url", sa.Text),
        sa.Column("updated_at", sa.BigInteger),
    )
    op.create_index(
        "ix_pull_requests_merge_commit", "pull_requests", ["repository_id", "merge_commit_sha"]
    )
    op.create_index("ix_pull_requests_merged", "pull_requests", ["repository_id", "merged_at"])
    op.create_table(
        "pull_request_commits",
        sa.Column("pull_request", sa.String(500), primary_key=True),
        sa.Column("sha", sa.String(64), primary_key=True),
        sa.Column("author_time", sa.BigInteger, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
    )
    op.create_index("ix_pull_request_commits_time", "pull_request_commits", ["author_time"])
    op.create_table(
        "reviews",
        sa.Column("id", ID, primary_key=True),
        sa.Column("external_id", sa.String(500), nullable=False, unique=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("pull_request", sa.String(500), nullable=False),
        sa.Column("reviewer", sa.String(400), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("submitted_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_reviews_pull_request", "reviews", ["pull_request"])
    op.create_table(
        "pipeline_runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("external_id", sa.String(500), nullable=False, unique=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("branch", sa.Text),
        sa.Column("event", sa.String(100)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("url", sa.Text),
    )
    op.create_index(
        "ix_pipeline_runs_repository_created", "pipeline_runs", ["repository_id", "created_at"]
    )
    op.create_index("ix_pipeline_runs_sha", "pipeline_runs", ["repository_id", "sha"])
    op.create_table(
        "raw_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("delivery_id", sa.String(200)),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("processed_at", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("source", "delivery_id", name="uq_raw_events_delivery"),
    )
    op.create_index("ix_raw_events_status", "raw_events", ["status", "id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_used_at", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
    )


def downgrade() -> None:
    for table in (
        "api_tokens",
        "raw_events",
        "pipeline_runs",
        "reviews",
        "pull_request_commits",
        "pull_requests",
    ):
        op.drop_table(table)
