"""Saved baselines (a period's figures with the samples behind them) and goals, per scope.

A scope is "service:NAME" or "team:NAME". Saving a baseline under a name that exists for the
scope replaces it; setting a goal on a metric that has one replaces it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dorameter.analysis.progress import Figures, Goal, GoalMetric
from dorameter.errors import NotFound
from dorameter.store.schema import baselines, from_micros, goals, to_micros


@dataclass(frozen=True)
class SavedBaseline:
    """A named baseline of a scope."""

    name: str
    scope: str
    bands: str
    created_at: datetime
    figures: Figures


class BaselineQueries:
    """Mixin for Store: baselines and goals."""

    engine: Engine

    def save_baseline(self, name: str, scope: str, bands: str, figures: Figures) -> bool:
        """Store a baseline; True when it replaced one of the same name."""
        row = {
            "name": name,
            "scope": scope,
            "since": figures.since,
            "until": figures.until,
            "bands": bands,
            "created_at": datetime.now(UTC),
            "figures": json.dumps(_figures_json(figures)),
        }
        where = (baselines.c.scope == scope, baselines.c.name == name)
        with self.engine.begin() as connection:
            replaced = connection.execute(delete(baselines).where(*where)).rowcount > 0
            connection.execute(baselines.insert().values(**row))
        return replaced

    def load_baseline(self, scope: str, name: str | None = None) -> SavedBaseline:
        """The named baseline of a scope, or its newest; NotFound when there is none."""
        query = select(baselines).where(baselines.c.scope == scope)
        if name is not None:
            query = query.where(baselines.c.name == name)
        query = query.order_by(baselines.c.created_at.desc(), baselines.c.id.desc()).limit(1)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            wanted = f"baseline {name!r}" if name else "baseline"
            raise NotFound(f"no {wanted} for {scope}; save one with: dorameter baseline save NAME")
        return SavedBaseline(
            row.name, row.scope, row.bands, row.created_at, _figures(json.loads(row.figures))
        )

    def baseline_names(self, scope: str) -> list[str]:
        """The scope's baselines, oldest first."""
        query = (
            select(baselines.c.name)
            .where(baselines.c.scope == scope)
            .order_by(baselines.c.created_at, baselines.c.id)
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def set_goal(self, scope: str, goal: Goal) -> None:
        """Record a goal, replacing the scope's goal on the same metric."""
        where = (goals.c.scope == scope, goals.c.metric == goal.metric.value)
        with self.engine.begin() as connection:
            connection.execute(delete(goals).where(*where))
            connection.execute(
                goals.insert().values(
                    scope=scope,
                    metric=goal.metric.value,
                    target=goal.target,
                    due=goal.due,
                    created_at=datetime.now(UTC),
                )
            )

    def goals(self, scope: str) -> dict[GoalMetric, Goal]:
        """The scope's goals by metric."""
        query = select(goals).where(goals.c.scope == scope)
        with self.engine.connect() as connection:
            return {
                GoalMetric(row.metric): Goal(GoalMetric(row.metric), row.target, row.due)
                for row in connection.execute(query)
            }


def _figures_json(figures: Figures) -> dict[str, object]:
    return {
        "since": to_micros(figures.since),
        "until": to_micros(figures.until),
        "deployments": figures.deployments,
        "lead_time_samples": list(figures.lead_time_samples),
        "failed": figures.failed,
        "recovery_samples": list(figures.recovery_samples),
        "unplanned": figures.unplanned,
    }


def _figures(data: dict[str, Any]) -> Figures:
    return Figures(
        since=from_micros(int(data["since"])),
        until=from_micros(int(data["until"])),
        deployments=int(data["deployments"]),
        lead_time_samples=tuple(float(v) for v in data["lead_time_samples"]),
        failed=int(data["failed"]),
        recovery_samples=tuple(float(v) for v in data["recovery_samples"]),
        unplanned=int(data["unplanned"]),
    )
