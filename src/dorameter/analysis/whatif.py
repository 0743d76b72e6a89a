"""What if one stage were shorter? The lead time distribution with that stage scaled.

Each PR with a known lead time keeps every other stage as it was; the chosen stage, when known,
is multiplied by (1 + change), where change is -0.5 for "pickup=-50%". The projected median is
classified with the lead-time band of the report year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dorameter.analysis.stages import PullRequestStages, Stage
from dorameter.errors import InvalidInput
from dorameter.metrics.bands import Band, BandMetric, classify
from dorameter.metrics.stats import quantile

_SCENARIO = re.compile(r"^\s*(\w+)\s*=\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class WhatIf:
    """A stage change, and the lead time median and band now and as projected."""

    stage: Stage
    change: float  # -0.5 for -50%
    count: int  # PRs with a known lead time
    median_seconds: float | None
    projected_median_seconds: float | None
    band: Band | None
    projected_band: Band | None


def parse_what_if(text: str) -> tuple[Stage, float]:
    """'pickup=-50%' -> (Stage.PICKUP, -0.5); a clear error otherwise."""
    match = _SCENARIO.match(text)
    stages = ", ".join(stage.value for stage in Stage)
    if not match or match.group(1).lower() not in {stage.value for stage in Stage}:
        raise InvalidInput(
            f"--what-if {text!r}: expected STAGE=PERCENT% with STAGE one of {stages}"
        )
    change = float(match.group(2)) / 100
    if change < -1:
        raise InvalidInput(f"--what-if {text!r}: a stage cannot shrink by more than 100%")
    return Stage(match.group(1).lower()), change


def what_if(stages: Sequence[PullRequestStages], stage: Stage, change: float, year: str) -> WhatIf:
    """The lead time distribution with `stage` scaled by (1 + change)."""
    now, projected = [], []
    for item in stages:
        lead = item.lead_seconds
        if lead is None:
            continue
        now.append(lead)
        projected.append(lead + (item.duration(stage) or 0.0) * change)
    now.sort()
    projected.sort()
    median = quantile(now, 0.5) if now else None
    projected_median = quantile(projected, 0.5) if projected else None
    return WhatIf(
        stage=stage,
        change=change,
        count=len(now),
        median_seconds=median,
        projected_median_seconds=projected_median,
        band=classify(year, BandMetric.LEAD_TIME, median),
        projected_band=classify(year, BandMetric.LEAD_TIME, projected_median),
    )
