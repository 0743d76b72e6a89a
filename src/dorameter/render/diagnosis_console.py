"""A service's flow diagnosis as Rich tables and sentences for the terminal."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from dorameter.analysis.diagnosis import Diagnosis
from dorameter.analysis.whatif import WhatIf
from dorameter.render.console import band_text, human_duration


def diagnosis_view(name: str, diagnosis: Diagnosis, scenario: WhatIf | None) -> Group:
    """Stages, bottleneck, findings with levers, batch size, trunk flow, CI and a what-if."""
    parts: list[RenderableType] = [
        Text(f"{name}: {diagnosis.pull_requests} merged pull requests", style="bold"),
        _stages(diagnosis),
    ]
    if diagnosis.findings:
        parts.append(Text("What stands out", style="bold"))
        for finding in diagnosis.findings:
            parts.append(Text(f"• {finding.message}"))
            parts.append(Text(f"  Suggestion: {finding.lever}", style="dim"))
    else:
        parts.append(Text("Nothing stands out in this period.", style="dim"))
    parts += [_batches(diagnosis), _flow_lines(diagnosis)]
    if scenario is not None:
        parts.append(_what_if(scenario))
    return Group(*parts)


def _stages(diagnosis: Diagnosis) -> Table:
    table = Table(title="Where lead time goes (per merged PR)", title_justify="left")
    for column in ("stage", "PRs", "median", "p75", "p90", "share"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for item in diagnosis.stages:
        style = "bold red" if item.stage == diagnosis.bottleneck else ""
        table.add_row(
            Text(item.stage.value, style=style),
            str(item.count),
            human_duration(item.median_seconds),
            human_duration(item.p75_seconds),
            human_duration(item.p90_seconds),
            "-" if item.share is None else f"{item.share:.0%}",
        )
    return table


def _batches(diagnosis: Diagnosis) -> Table:
    table = Table(title="Batch size (lines added + deleted)", title_justify="left")
    for column in ("lines", "PRs", "lead time", "review", "failed"):
        table.add_column(column, justify="left" if column == "lines" else "right")
    for bucket in diagnosis.batch_size:
        failed = "-" if bucket.fail_rate is None else f"{bucket.fail_rate:.0%} of {bucket.deployed}"
        table.add_row(
            bucket.label,
            str(bucket.count),
            human_duration(bucket.lead_median_seconds),
            human_duration(bucket.review_median_seconds),
            failed,
        )
    return table


def _flow_lines(diagnosis: Diagnosis) -> Text:
    trunk, ci = diagnosis.trunk, diagnosis.ci
    merges = trunk.merges_per_developer_per_day
    long_lived = "-" if trunk.long_lived_share is None else f"{trunk.long_lived_share:.0%}"
    success = "-" if ci.success_rate is None else f"{ci.success_rate:.0%}"
    return Text(
        f"Branch lifetime: median {human_duration(trunk.branch_lifetime.median_seconds)}, "
        f"p90 {human_duration(trunk.branch_lifetime.p90_seconds)}; longer than "
        f"{trunk.long_lived_threshold_seconds / 86400:g} days: {long_lived} "
        f"({trunk.long_lived_merged} merged, {len(trunk.long_lived_open)} of {trunk.open_at_end}"
        " still open); merges per active "
        f"developer per day: {'-' if merges is None else f'{merges:.2f}'} "
        f"({trunk.active_developers} developers)\n"
        f"CI: {ci.runs} runs, duration median {human_duration(ci.duration.median_seconds)} "
        f"(p90 {human_duration(ci.duration.p90_seconds)}), queue median "
        f"{human_duration(ci.queue.median_seconds)} (p90 {human_duration(ci.queue.p90_seconds)}), "
        f"success {success}, flaky commits {ci.flaky}"
    )


def _what_if(scenario: WhatIf) -> Text:
    text = Text(
        f"What if {scenario.stage.value} changed by {scenario.change:+.0%}: median lead time "
        f"{human_duration(scenario.median_seconds)} (",
        style="bold",
    )
    text.append_text(band_text(scenario.band))
    text.append(f") -> {human_duration(scenario.projected_median_seconds)} (")
    text.append_text(band_text(scenario.projected_band))
    text.append(f"), over {scenario.count} deployed PRs")
    return text
