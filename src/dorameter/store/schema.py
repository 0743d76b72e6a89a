"""Table definitions used by queries; the Alembic migrations create the same tables.

Times are stored as integer microseconds since the Unix epoch (UTC) on every database:
exact, cheap to convert, sortable, and identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime."""
    return (moment - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    """Aware UTC datetime from epoch microseconds.

    Dividing by 1e6 is exact here: integers up to 2**53 (year 2255 in microseconds) are exact
    floats, and fromtimestamp rounds to the nearest microsecond; it is twice as fast as adding
    a timedelta, which matters when a report reads hundreds of thousands of rows.
    """
    return datetime.fromtimestamp(value / 1_000_000, UTC)


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware datetime stored as epoch microseconds."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; all times must be aware")
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


metadata = MetaData()

repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(400), nullable=False, unique=True),
    Column("location", Text),
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(400), nullable=False, unique=True),
    Column("team", String(400)),  # the owning team (0003), from configuration
)

commits = Table(
    "commits",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("repository_id", Integer, ForeignKey("repositories.id"), nullable=False),
    Column("sha", String(64), nullable=False),
    Column("parents", Text, nullable=False),  # space-separated parent shas
    Column("author_name", Text, nullable=False),
    Column("author_email", Text, nullable=False),
    Column("author_time", UtcTimestamp, nullable=False),
    Column("committer_time", UtcTimestamp, nullable=False),
    Column("subject", Text, nullable=False),
    Column("reverts", String(64)),
    Column("additions", Integer),
    Column("deletions", Integer),
    Column("files", Integer),
    # 0006: the files the commit changed, newline-separated; NULL when not read (only
    # repositories with path-defined services need them)
    Column("paths", Text),
    UniqueConstraint("repository_id", "sha", name="uq_commits_repository_sha"),
)

# 0006: a monorepo service counts only the commits under its path prefixes in a repository.
service_paths = Table(
    "service_paths",
    metadata,
    Column("service_id", Integer, ForeignKey("services.id"), primary_key=True),
    Column("repository_id", Integer, ForeignKey("repositories.id"), primary_key=True),
    Column("prefixes", Text, nullable=False),  # newline-separated, as configured
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("external_id", String(500), nullable=False, unique=True),
    Column("source", String(50), nullable=False),
    Column("service_id", Integer, ForeignKey("services.id"), nullable=False),
    Column("environment", String(200), nullable=False),
    Column("repository_id", Integer, ForeignKey("repositories.id")),
    Column("sha", String(64), nullable=False),
    Column("ref", Text),
    Column("started_at", UtcTimestamp),
    Column("finished_at", UtcTimestamp, nullable=False),
    Column("status", String(20), nullable=False),
    Column("rollback", Boolean, nullable=False),  # the source said so
    Column("fixes", String(500)),  # external id of the deployment or incident it remediates
    # Attribution facts, derived by dorameter.attribution and rewritten when history changes.
    Column("attributed", Boolean, nullable=False),
    Column("version_missing", Boolean, nullable=False),
    Column("shipped_rollback", Boolean, nullable=False),  # its version had already shipped
    Column("rollback_base_id", BigInteger),
    # 0004: when the source reported the state this row holds (webhooks; null: recorded)
    Column("state_at", UtcTimestamp),
)
Index(
    "ix_deployments_service_env_finished",
    deployments.c.service_id,
    deployments.c.environment,
    deployments.c.finished_at,
)
# 0007: the repositories each service deployed from, by skip scan (flow_reads.py).
Index("ix_deployments_service_repository", deployments.c.service_id, deployments.c.repository_id)

# Which commits each deployment shipped: attribution's output, written only by attribution from
# ids it read in the same transaction. No foreign keys (migration 0008): their per-row checks
# were most of the time of inserting a large history's rows on PostgreSQL, and never fired.
shipped = Table(
    "shipped",
    metadata,
    Column("deployment_id", BigInteger, primary_key=True),  # deployments.id
    Column("commit_id", BigInteger, primary_key=True),  # commits.id
    Column("before_tracking", Boolean, nullable=False),
)
Index("ix_shipped_commit", shipped.c.commit_id)

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("external_id", String(500), nullable=False, unique=True),
    Column("source", String(50), nullable=False),
    Column("service_id", Integer, ForeignKey("services.id"), nullable=False),
    Column("started_at", UtcTimestamp, nullable=False),
    Column("resolved_at", UtcTimestamp),
    Column("title", Text, nullable=False),
    Column("severity", String(50)),
    Column("caused_by_deployment", String(500)),
    Column("caused_by_sha", String(64)),
    Column("change_caused", Boolean),
    Column("state_at", UtcTimestamp),  # 0004: as deployments.state_at
)
Index("ix_incidents_service_started", incidents.c.service_id, incidents.c.started_at)

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(50), primary_key=True),
    Column("scope", String(500), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
)

# --- 0002: pull requests, reviews, CI runs, the raw event log, API tokens -------------------

pull_requests = Table(
    "pull_requests",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("external_id", String(500), nullable=False, unique=True),
    Column("source", String(50), nullable=False),
    Column("repository_id", Integer, ForeignKey("repositories.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("author", String(400), nullable=False),
    Column("state", String(20), nullable=False),
    Column("draft", Boolean, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("ready_at", UtcTimestamp),
    Column("merged_at", UtcTimestamp),
    Column("closed_at", UtcTimestamp),
    Column("merge_commit_sha", String(64)),
    Column("base_branch", Text),
    Column("head_branch", Text),
    Column("additions", Integer),
    Column("deletions", Integer),
    Column("changed_files", Integer),
    Column("labels", Text, nullable=False),  # JSON list of label names
    Column("first_commit_at", UtcTimestamp),
    Column("url", Text),
    Column("updated_at", UtcTimestamp),
)
Index(
    "ix_pull_requests_merge_commit", pull_requests.c.repository_id, pull_requests.c.merge_commit_sha
)
Index("ix_pull_requests_merged", pull_requests.c.repository_id, pull_requests.c.merged_at)

# Keyed by the pull request's external id, not a foreign key: a commit or review may arrive
# (by webhook) before the pull request itself.
pull_request_commits = Table(
    "pull_request_commits",
    metadata,
    Column("pull_request", String(500), primary_key=True),
    Column("sha", String(64), primary_key=True),
    Column("author_time", UtcTimestamp, nullable=False),
    Column("subject", Text, nullable=False),
)
Index("ix_pull_request_commits_time", pull_request_commits.c.author_time)

reviews = Table(
    "reviews",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("external_id", String(500), nullable=False, unique=True),
    Column("source", String(50), nullable=False),
    Column("pull_request", String(500), nullable=False),
    Column("reviewer", String(400), nullable=False),
    Column("state", String(30), nullable=False),
    Column("submitted_at", UtcTimestamp, nullable=False),
)
Index("ix_reviews_pull_request", reviews.c.pull_request)

pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("external_id", String(500), nullable=False, unique=True),
    Column("source", String(50), nullable=False),
    Column("repository_id", Integer, ForeignKey("repositories.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("sha", String(64), nullable=False),
    Column("branch", Text),
    Column("event", String(100)),
    Column("outcome", String(20), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("started_at", UtcTimestamp),
    Column("finished_at", UtcTimestamp),
    Column("url", Text),
)
Index(
    "ix_pipeline_runs_repository_created", pipeline_runs.c.repository_id, pipeline_runs.c.created_at
)
Index("ix_pipeline_runs_sha", pipeline_runs.c.repository_id, pipeline_runs.c.sha)

# Every accepted delivery, as received, before it is normalised (append-only).
raw_events = Table(
    "raw_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("source", String(50), nullable=False),
    Column("delivery_id", String(200)),  # the sender's id, for deduplication (null: none given)
    Column("event_type", String(200), nullable=False),
    Column("received_at", UtcTimestamp, nullable=False),
    Column("headers", Text, nullable=False),  # JSON, without secrets
    Column("body", LargeBinary, nullable=False),
    Column("status", String(20), nullable=False),  # pending | processed | ignored | failed
    Column("processed_at", UtcTimestamp),
    Column("error", Text),
    UniqueConstraint("source", "delivery_id", name="uq_raw_events_delivery"),
)
Index("ix_raw_events_status", raw_events.c.status, raw_events.c.id)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("prefix", String(20), nullable=False),  # shown in listings to tell tokens apart
    Column("created_at", UtcTimestamp, nullable=False),
    Column("last_used_at", UtcTimestamp),
    Column("revoked_at", UtcTimestamp),
)

# --- 0005: baselines (saved figures with their samples) and goals ---------------------------

baselines = Table(
    "baselines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("scope", String(500), nullable=False),  # "service:NAME" or "team:NAME"
    Column("since", UtcTimestamp, nullable=False),
    Column("until", UtcTimestamp, nullable=False),
    Column("bands", String(10), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("figures", Text, nullable=False),  # JSON: per metric, its counts and samples
    UniqueConstraint("scope", "name", name="uq_baselines_scope_name"),
)

goals = Table(
    "goals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(500), nullable=False),
    Column("metric", String(50), nullable=False),
    Column("target", Float, nullable=False),
    Column("due", UtcTimestamp),
    Column("created_at", UtcTimestamp, nullable=False),
    UniqueConstraint("scope", "metric", name="uq_goals_scope_metric"),
)
