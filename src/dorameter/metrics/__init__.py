"""The five keys as pure functions over model objects, with bands, intervals and trends."""

from dorameter.metrics.bands import (
    BAND_RULE_NOTES,
    BAND_YEARS,
    DEFAULT_BAND_YEAR,
    Band,
    BandMetric,
    classify,
    restore_metric,
    worst,
)
from dorameter.metrics.change_fail_rate import RateResult, change_fail_rate, deployment_share
from dorameter.metrics.failures import classify_deployments
from dorameter.metrics.frequency import FrequencyResult, deployment_frequency
from dorameter.metrics.lead_time import LeadTimeResult, Skip, change_lead_time, lead_time_sample
from dorameter.metrics.quickcheck import QuickCheck, quick_check
from dorameter.metrics.recovery import RecoveryResult, recovery_time, time_to_restore
from dorameter.metrics.rework import rework_rate
from dorameter.metrics.stats import (
    DurationSummary,
    median_interval,
    poisson_rate_interval,
    quantile,
    summarize_durations,
    wilson_interval,
)
from dorameter.metrics.trends import TrendPoint, weekly_trends

__all__ = [
    "BAND_RULE_NOTES",
    "BAND_YEARS",
    "DEFAULT_BAND_YEAR",
    "Band",
    "BandMetric",
    "DurationSummary",
    "FrequencyResult",
    "LeadTimeResult",
    "QuickCheck",
    "RateResult",
    "RecoveryResult",
    "Skip",
    "TrendPoint",
    "change_fail_rate",
    "change_lead_time",
    "classify",
    "classify_deployments",
    "deployment_frequency",
    "deployment_share",
    "lead_time_sample",
    "median_interval",
    "poisson_rate_interval",
    "quantile",
    "quick_check",
    "recovery_time",
    "restore_metric",
    "rework_rate",
    "summarize_durations",
    "time_to_restore",
    "weekly_trends",
    "wilson_interval",
    "worst",
]
