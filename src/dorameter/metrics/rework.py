"""Deployment rework rate (DORA 2024): the share of deployments that were unplanned remediation."""

from __future__ import annotations

from collections.abc import Iterable

from dorameter.metrics.change_fail_rate import RateResult, deployment_share
from dorameter.model import DeploymentOutcome, Period


def rework_rate(outcomes: Iterable[DeploymentOutcome], period: Period) -> RateResult:
    """Unplanned deployments over all deployments finished in the period; no year bands it."""
    return deployment_share(outcomes, period, lambda outcome: outcome.unplanned)
