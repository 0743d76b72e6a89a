"""Balance: throughput and stability judged together between two periods (metrics.md).

A warning is given when deployment frequency or lead time improved while change fail rate or
recovery time got worse beyond its 95% interval (Newcombe for the rate; for recovery, the new
median's interval lies wholly above the old median).
"""

from __future__ import annotations

from dataclasses import dataclass

from dorameter.analysis.findings import Finding, FindingKind, duration_text
from dorameter.analysis.significance import rate_change
from dorameter.metrics.change_fail_rate import RateResult
from dorameter.metrics.frequency import FrequencyResult
from dorameter.metrics.lead_time import LeadTimeResult
from dorameter.metrics.recovery import RecoveryResult


@dataclass(frozen=True)
class KeyFigures:
    """The throughput and stability figures of one period that balance compares."""

    frequency: FrequencyResult
    lead_time: LeadTimeResult
    change_fail_rate: RateResult
    recovery_time: RecoveryResult


def balance_findings(before: KeyFigures, after: KeyFigures) -> tuple[Finding, ...]:
    """A warning when throughput improved while stability clearly got worse."""
    faster = _throughput_gains(before, after)
    worse = _stability_losses(before, after)
    if not faster or not worse:
        return ()
    return (
        Finding(
            FindingKind.UNBALANCED,
            f"Throughput improved ({'; '.join(faster)}) while stability got worse "
            f"({'; '.join(worse)}) compared with the previous period.",
        ),
    )


def _throughput_gains(before: KeyFigures, after: KeyFigures) -> list[str]:
    gains = []
    if before.frequency.count and after.frequency.per_day > before.frequency.per_day:
        gains.append(
            f"deployments per day {before.frequency.per_day:.2f} -> {after.frequency.per_day:.2f}"
        )
    old, new = before.lead_time.summary.median_seconds, after.lead_time.summary.median_seconds
    if old is not None and new is not None and new < old:
        gains.append(f"median lead time {duration_text(old)} -> {duration_text(new)}")
    return gains


def _stability_losses(before: KeyFigures, after: KeyFigures) -> list[str]:
    losses = []
    old, new = before.change_fail_rate, after.change_fail_rate
    change = rate_change(old.numerator, old.total, new.numerator, new.total)
    if change is not None and change.low > 0:
        losses.append(
            f"change fail rate {change.before:.0%} -> {change.after:.0%}, "
            f"+{change.low:.0%} to +{change.high:.0%} at 95%"
        )
    previous = before.recovery_time.summary.median_seconds
    current = after.recovery_time.summary
    if previous is not None and current.ci95_seconds and current.ci95_seconds[0] > previous:
        assert current.median_seconds is not None
        losses.append(
            f"median recovery time {duration_text(previous)} -> "
            f"{duration_text(current.median_seconds)}"
        )
    return losses
