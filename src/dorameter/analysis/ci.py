"""CI feedback: how long runs take and wait, how often they pass, and which are flaky.

Duration is start to finish (created to finish when the start is unknown); queue time is
created to start. The success rate counts finished runs that succeeded or failed (cancelled and
skipped runs say nothing about the code). A flaky run is a pipeline (name) on a commit that
failed and then passed on a later attempt or run for the same commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dorameter.flow_model import CiRun
from dorameter.metrics.stats import DurationSummary, summarize_durations
from dorameter.model import PipelineOutcome

_MICROS = 1_000_000  # int / int: the same float as timedelta.total_seconds()
_FAILURE = PipelineOutcome.FAILURE.value
_SUCCESS = PipelineOutcome.SUCCESS.value


@dataclass(frozen=True)
class CiFeedback:
    """Duration, queue time, success rate and flaky runs of the CI runs of a period."""

    runs: int
    duration: DurationSummary
    queue: DurationSummary
    succeeded: int
    failed: int
    success_rate: float | None
    flaky: int  # (pipeline, commit) pairs that failed then passed
    flaky_share: float | None  # of the (pipeline, commit) pairs that ever failed


def ci_feedback(runs: Sequence[CiRun]) -> CiFeedback:
    """CI feedback figures of the given runs."""
    durations, queues = [], []
    succeeded = failed = 0
    # One pass, each run unpacked once: a large organisation has over 100,000 in a quarter.
    for _, _, _, _, outcome, _, created, started, finished in runs:
        start = started or created
        if finished is not None and finished >= start:
            durations.append((finished - start) / _MICROS)
        if started is not None and started >= created:
            queues.append((started - created) / _MICROS)
        if outcome == _SUCCESS:
            succeeded += 1
        elif outcome == _FAILURE:
            failed += 1
    flaky, ever_failed = _flaky(runs)
    return CiFeedback(
        runs=len(runs),
        duration=summarize_durations(durations),
        queue=summarize_durations(queues),
        succeeded=succeeded,
        failed=failed,
        success_rate=succeeded / (succeeded + failed) if succeeded + failed else None,
        flaky=flaky,
        flaky_share=flaky / ever_failed if ever_failed else None,
    )


def _flaky(runs: Sequence[CiRun]) -> tuple[int, int]:
    """(pairs that failed then passed, pairs that ever failed), per (repository, name, sha)."""
    # Only pairs with a failure can be flaky or count as failed: group just those.
    failing = {(run.repository, run.name, run.sha) for run in runs if run.outcome == _FAILURE}
    failing_shas = {sha for _, _, sha in failing}  # a cheap test before building each run's key
    history: dict[tuple[str, str, str], list[CiRun]] = {}
    for run in runs:
        if run.sha in failing_shas and (key := (run.repository, run.name, run.sha)) in failing:
            history.setdefault(key, []).append(run)
    flaky = ever_failed = 0
    for attempts in history.values():
        ordered = sorted(attempts, key=lambda run: (run.attempt, run.created_at))
        outcomes = [run.outcome for run in ordered]
        if PipelineOutcome.FAILURE not in outcomes:
            continue
        ever_failed += 1
        first_failure = outcomes.index(PipelineOutcome.FAILURE)
        if PipelineOutcome.SUCCESS in outcomes[first_failure + 1 :]:
            flaky += 1
    return flaky, ever_failed
