"""Change fail rate: the share of a period's deployments that failed (never above 100%)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import wilson_interval
from dorameter.model import DeploymentOutcome, Period


@dataclass(frozen=True)
class RateResult:
    """A share of deployments with the counts behind it and its 95% Wilson interval."""

    numerator: int
    total: int
    value: float | None  # None when there were no deployments
    ci95: tuple[float, float] | None
    band: Band | None


def deployment_share(
    outcomes: Iterable[DeploymentOutcome],
    period: Period,
    counts: Callable[[DeploymentOutcome], bool],
) -> RateResult:
    """Share of the deployments finished in the period for which `counts` holds; no band."""
    inside = [outcome for outcome in outcomes if period.contains(outcome.deployment.finished_at)]
    numerator = sum(1 for outcome in inside if counts(outcome))
    total = len(inside)
    return RateResult(
        numerator=numerator,
        total=total,
        value=numerator / total if total else None,
        ci95=wilson_interval(numerator, total),
        band=None,
    )


def change_fail_rate(
    outcomes: Iterable[DeploymentOutcome], period: Period, year: str
) -> RateResult:
    """Failed deployments over all deployments finished in the period, banded for the year."""
    share = deployment_share(outcomes, period, lambda outcome: outcome.failed)
    band = classify(year, BandMetric.CHANGE_FAIL_RATE, share.value)
    return RateResult(share.numerator, share.total, share.value, share.ci95, band)
