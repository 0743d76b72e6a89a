"""Baselines and goals survive a round trip through the store, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dorameter.analysis.progress import Figures, Goal, GoalMetric
from dorameter.errors import NotFound
from dorameter.store import Store

FIGURES = Figures(
    since=datetime(2026, 7, 1, tzinfo=UTC),
    until=datetime(2026, 9, 1, 12, 30, 0, 123456, tzinfo=UTC),
    deployments=12,
    lead_time_samples=(3600.5, 7200.0, 1e6 / 3),
    failed=2,
    recovery_samples=(),
    unplanned=1,
)


def test_a_baseline_comes_back_as_it_was_saved(store: Store) -> None:
    assert store.save_baseline("q3", "service:shop", "2023", FIGURES) is False

    saved = store.load_baseline("service:shop", "q3")

    assert (saved.name, saved.scope, saved.bands, saved.figures) == (
        "q3",
        "service:shop",
        "2023",
        FIGURES,
    )


def test_saving_a_name_again_replaces_it_and_the_newest_is_the_default(store: Store) -> None:
    store.save_baseline("q3", "service:shop", "2023", FIGURES)
    store.save_baseline("q4", "service:shop", "2023", FIGURES)
    other = Figures(FIGURES.since, FIGURES.until, 1, (), 0, (), 0)
    assert store.save_baseline("q3", "service:shop", "2024", other) is True
    store.save_baseline("q9", "team:shop", "2023", FIGURES)

    assert store.baseline_names("service:shop") == ["q4", "q3"]
    assert store.load_baseline("service:shop").figures == other
    assert store.load_baseline("service:shop", "q4").figures == FIGURES


def test_a_missing_baseline_says_how_to_make_one(store: Store) -> None:
    with pytest.raises(NotFound, match="dorameter baseline save"):
        store.load_baseline("service:shop")
    store.save_baseline("q3", "service:shop", "2023", FIGURES)
    with pytest.raises(NotFound, match="'q2'"):
        store.load_baseline("service:shop", "q2")


def test_goals_round_trip_and_replace_per_metric(store: Store) -> None:
    due = datetime(2027, 1, 1, tzinfo=UTC)
    store.set_goal("service:shop", Goal(GoalMetric.LEAD_TIME, 86400.0, due))
    store.set_goal("service:shop", Goal(GoalMetric.CHANGE_FAIL_RATE, 0.15))
    store.set_goal("service:shop", Goal(GoalMetric.CHANGE_FAIL_RATE, 0.1))
    store.set_goal("team:web", Goal(GoalMetric.REWORK_RATE, 0.05))

    assert store.goals("service:shop") == {
        GoalMetric.LEAD_TIME: Goal(GoalMetric.LEAD_TIME, 86400.0, due),
        GoalMetric.CHANGE_FAIL_RATE: Goal(GoalMetric.CHANGE_FAIL_RATE, 0.1),
    }
    assert store.goals("service:none") == {}
