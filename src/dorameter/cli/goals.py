"""dorameter baseline save, goal set, progress: targets, and whether things are getting better."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from dorameter.analysis.progress import GoalMetric, ProgressRow
from dorameter.cli.common import (
    BandsOption,
    ConfigOption,
    DbOption,
    FormatOption,
    LastOption,
    OutputFormat,
    SinceOption,
    UntilOption,
    err,
    guarded,
    out,
    period_for,
    settings_for,
)
from dorameter.cli.diagnose import OneServiceOption, TeamOption
from dorameter.errors import InvalidInput
from dorameter.render.console import band_text, human_duration
from dorameter.store import Store, open_store
from dorameter.timestamps import parse_duration, parse_instant

if TYPE_CHECKING:
    from dorameter.progress import Progress, Subject

baseline_app = typer.Typer(
    help="Keep a period's figures to compare with later.", no_args_is_help=True
)
goal_app = typer.Typer(help="Targets per metric.", no_args_is_help=True)

MetricArg = Annotated[
    str,
    typer.Argument(
        help="deployment_frequency, lead_time, change_fail_rate, recovery_time or rework_rate."
    ),
]
TargetArg = Annotated[
    str | None,
    typer.Argument(
        help="Per day for frequency (2 or 2/d), a duration for times (1d, 12h), a rate (10% or "
        "0.1) \\[default: the next band's threshold]."
    ),
]


def subject_for(store: Store, service: str | None, team: str | None) -> Subject:
    """--service or --team; neither means the only stored service."""
    # Lazy, as every use of dorameter.progress here: it builds reports, which `ingest git`
    # (the command run after every push) should not load at start-up.
    from dorameter.progress import Subject  # noqa: PLC0415

    if service and team:
        raise InvalidInput("give --service or --team, not both")
    if service or team:
        return Subject(service, team)
    names = store.service_names()
    if len(names) != 1:
        raise InvalidInput("name one --service or a --team")
    return Subject(names[0])


@baseline_app.command("save")
def baseline_save(
    name: Annotated[str, typer.Argument(help="Name of the baseline, e.g. 2026-q3.")],
    service: OneServiceOption = None,
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    bands: BandsOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Keep the period's figures and the samples behind them under NAME."""

    def body() -> None:
        settings = settings_for(config, db, bands)
        store = open_store(settings.database_url)
        subject = subject_for(store, service, team)
        period = period_for(since, until, last)
        from dorameter.progress import save_baseline  # noqa: PLC0415 (see subject_for)

        figures, replaced = save_baseline(store, settings, period, subject, name)
        err.print(
            f"baseline {name!r} of {subject.scope} {'replaced' if replaced else 'saved'}: "
            f"{figures.deployments} deployments, {len(figures.lead_time_samples)} lead times, "
            f"{figures.failed} failed",
            highlight=False,
        )

    guarded(body)


@goal_app.command("set")
def goal_set(
    metric: MetricArg,
    target: TargetArg = None,
    by: Annotated[str | None, typer.Option("--by", help="Date to reach it by.")] = None,
    service: OneServiceOption = None,
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    bands: BandsOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Record a target for a metric (replacing the previous one on that metric).

    Without TARGET, the next band's threshold from the period's figure is recorded.
    """

    def body() -> None:
        settings = settings_for(config, db, bands)
        store = open_store(settings.database_url)
        subject = subject_for(store, service, team)
        chosen = parse_metric(metric)
        value = parse_target(chosen, target) if target else None
        due = parse_instant(by) if by else None
        period = period_for(since, until, last)
        from dorameter.progress import set_goal  # noqa: PLC0415 (see subject_for)

        goal = set_goal(store, settings, period, subject, (chosen, value, due))
        err.print(
            f"goal for {subject.scope}: {chosen.value} {format_value(chosen, goal.target)}"
            + (f" by {goal.due:%Y-%m-%d}" if goal.due else ""),
            highlight=False,
        )

    guarded(body)


def parse_metric(text: str) -> GoalMetric:
    """A metric name, or an error that lists them."""
    try:
        return GoalMetric(text.strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(metric.value for metric in GoalMetric)
        raise InvalidInput(f"no metric {text!r}; choose one of {names}") from None


def parse_target(metric: GoalMetric, text: str) -> float:
    """A target in the metric's unit: per day, seconds or a fraction."""
    value = text.strip()
    try:
        if metric in (GoalMetric.LEAD_TIME, GoalMetric.RECOVERY_TIME):
            return parse_duration(value).total_seconds()
        if metric is GoalMetric.DEPLOYMENT_FREQUENCY:
            return float(value.removesuffix("/d"))
        rate = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a target for {metric.value}") from None
    if not 0 <= rate <= 1:
        raise InvalidInput(f"{text!r}: a rate is between 0 and 1 (or 0% and 100%)")
    return rate


def format_value(metric: GoalMetric, value: float | None) -> str:
    if value is None:
        return "-"
    if metric in (GoalMetric.LEAD_TIME, GoalMetric.RECOVERY_TIME):
        return human_duration(value)
    if metric is GoalMetric.DEPLOYMENT_FREQUENCY:
        return f"{value:.2f}/d"
    return f"{value:.0%}"


def progress_command(
    service: OneServiceOption = None,
    team: TeamOption = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline to compare with \\[default: the newest].")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    bands: BandsOption = None,
    output: FormatOption = OutputFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Per metric: baseline, now, target, the change with its 95% interval, bands then and now."""

    def body() -> None:
        settings = settings_for(config, db, bands)
        store = open_store(settings.database_url)
        subject = subject_for(store, service, team)
        from dorameter.progress import progress  # noqa: PLC0415 (see subject_for)

        found = progress(store, settings, period_for(since, until, last), subject, baseline)
        if output is OutputFormat.JSON:
            sys.stdout.write(json.dumps(progress_document(found), indent=2) + "\n")
        else:
            out.print(progress_table(found))

    guarded(body)


def progress_table(found: Progress) -> Table:
    table = Table(
        title=f"{found.scope}: now against baseline {found.baseline.name!r}", title_justify="left"
    )
    table.add_column("metric", no_wrap=True)
    for column in ("baseline", "now", "change (95%)", "verdict", "target", "band"):
        table.add_column(column)
    for row in found.rows:
        change = row.change
        interval = (
            "-"
            if change is None
            else f"{_signed(row.metric, change.difference)} "
            f"[{_signed(row.metric, change.low)}, {_signed(row.metric, change.high)}]"
        )
        target = format_value(row.metric, row.goal.target) if row.goal else "-"
        if row.goal and row.goal.due:
            target += f" by {row.goal.due:%Y-%m-%d}"
        band = Text()
        band.append_text(band_text(row.band_then))
        band.append(" -> ")
        band.append_text(band_text(row.band_now))
        table.add_row(
            row.metric.value,
            format_value(row.metric, row.baseline),
            format_value(row.metric, row.now),
            interval,
            row.verdict,
            target,
            band,
        )
    return table


def _signed(metric: GoalMetric, value: float) -> str:
    text = format_value(metric, abs(value))
    return ("-" if value < 0 else "+") + text


def progress_document(found: Progress) -> dict[str, Any]:
    """The JSON of `progress` (documented in docs/json-report.md)."""
    return {
        "scope": found.scope,
        "baseline": {
            "name": found.baseline.name,
            "since": _time(found.baseline.figures.since),
            "until": _time(found.baseline.figures.until),
            "bands": found.baseline.bands,
        },
        "period": {"since": _time(found.now.since), "until": _time(found.now.until)},
        "metrics": {row.metric.value: _row(row) for row in found.rows},
    }


def _row(row: ProgressRow) -> dict[str, Any]:
    change = row.change
    return {
        "baseline": row.baseline,
        "now": row.now,
        "change": None
        if change is None
        else {"difference": change.difference, "ci95": [change.low, change.high]},
        "verdict": row.verdict,
        "target": row.goal.target if row.goal else None,
        "due": _time(row.goal.due) if row.goal and row.goal.due else None,
        "goal_met": row.goal_met,
        "band_then": row.band_then.value if row.band_then else None,
        "band_now": row.band_now.value if row.band_now else None,
    }


def _time(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")
