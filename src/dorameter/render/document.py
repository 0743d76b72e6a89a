"""The Report as a JSON-ready document: the contract documented in docs/json-report.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dorameter.metrics.bands import Band
from dorameter.metrics.change_fail_rate import RateResult
from dorameter.metrics.incidents import NotableIncident
from dorameter.metrics.recovery import RecoveryResult
from dorameter.metrics.stats import DurationSummary
from dorameter.model import DeploymentOutcome
from dorameter.render.diagnosis_document import diagnosis_document
from dorameter.report import Report, ServiceReport

SCHEMA_VERSION = 1


def report_document(report: Report) -> dict[str, Any]:
    """Everything in the Report, as plain JSON types."""
    return {
        "schema_version": SCHEMA_VERSION,
        "period": {"since": _time(report.period.since), "until": _time(report.period.until)},
        "bands": report.bands,
        "environments": list(report.environments),
        "generated_at": _time(report.generated_at),
        "notes": list(report.notes),
        "services": [service_document(service) for service in report.services],
    }


def service_document(service: ServiceReport) -> dict[str, Any]:
    """One service's figures."""
    frequency = service.deployment_frequency
    lead = service.lead_time
    return {
        "service": service.service,
        "deployment_frequency": {
            "count": frequency.count,
            "per_day": frequency.per_day,
            "per_week": frequency.per_week,
            "active_day_share": frequency.active_day_share,
            "median_interval_seconds": frequency.median_interval_seconds,
            "ci95_per_day": list(frequency.ci95_per_day),
            "band": _band(frequency.band),
        },
        "lead_time": _durations(lead.summary)
        | {
            "band": _band(lead.band),
            "negative_excluded": lead.negative,
            "before_tracking_excluded": lead.before_tracking,
            "merges_skipped": lead.merges,
            "from_pr_start": lead.from_pr_start,
        },
        "change_fail_rate": _rate(service.change_fail_rate, "failed"),
        "recovery_time": _recovery(service.recovery_time, "unrecovered"),
        "time_to_restore": _recovery(service.time_to_restore, "unresolved"),
        "rework_rate": _rate(service.rework_rate, "unplanned"),
        "overall_band": _band(service.overall_band),
        "quick_check": vars(service.quick_check).copy(),
        "failed_attempts": service.failed_attempts,
        "failed_deployments": [_failed(outcome) for outcome in service.failed_deployments],
        "trend": [
            vars(point) | {"week_start": point.week_start.isoformat()} for point in service.trend
        ],
        "notable_incidents": {
            "total": service.incidents.total,
            "incidents": [_incident(item) for item in service.incidents.items],
        },
        "diagnosis": diagnosis_document(service.diagnosis),
        "notes": list(service.notes),
    }


def _durations(summary: DurationSummary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "median_seconds": summary.median_seconds,
        "p75_seconds": summary.p75_seconds,
        "p90_seconds": summary.p90_seconds,
        "mean_seconds": summary.mean_seconds,
        "ci95_median_seconds": list(summary.ci95_seconds) if summary.ci95_seconds else None,
    }


def _rate(rate: RateResult, numerator: str) -> dict[str, Any]:
    return {
        numerator: rate.numerator,
        "total": rate.total,
        "value": rate.value,
        "ci95": list(rate.ci95) if rate.ci95 else None,
        "band": _band(rate.band),
    }


def _recovery(result: RecoveryResult, open_name: str) -> dict[str, Any]:
    return _durations(result.summary) | {open_name: result.unrecovered, "band": _band(result.band)}


def _failed(outcome: DeploymentOutcome) -> dict[str, Any]:
    deployment = outcome.deployment
    return {
        "id": deployment.external_id,
        "sha": deployment.sha,
        "finished_at": _time(deployment.finished_at),
        "reasons": [reason.value for reason in outcome.failure_reasons],
        "recovered_at": _time(outcome.recovered_at) if outcome.recovered_at else None,
    }


def _incident(item: NotableIncident) -> dict[str, Any]:
    incident = item.incident
    return {
        "id": incident.external_id,
        "service": incident.service,
        "title": incident.title,
        "severity": incident.severity,
        "started_at": _time(incident.started_at),
        "resolved_at": _time(incident.resolved_at) if incident.resolved_at else None,
        "restore_seconds": item.restore_seconds,
        "open_seconds": item.open_seconds,
        "cause": item.cause.value,
        "deployment": item.deployment.external_id if item.deployment else None,
        "link": item.link.value if item.link else None,
        "commit": incident.caused_by_sha,
    }


def _band(band: Band | None) -> str | None:
    return None if band is None else band.value


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
