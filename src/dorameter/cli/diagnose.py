"""dorameter diagnose: where one service's (or team's) lead time goes, and a what-if."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dorameter.cli.common import (
    BandsOption,
    ConfigOption,
    DbOption,
    FormatOption,
    LastOption,
    OutputFormat,
    SinceOption,
    UntilOption,
    guarded,
    out,
    period_for,
    settings_for,
)
from dorameter.errors import InvalidInput
from dorameter.store import open_store

if TYPE_CHECKING:
    from dorameter.analysis.whatif import WhatIf
    from dorameter.report import Report, ServiceReport

OneServiceOption = Annotated[
    str | None, typer.Option("--service", help="The service \\[default: the only one].")
]
TeamOption = Annotated[
    str | None, typer.Option("--team", help="All services of this team, measured as one.")
]
WhatIfOption = Annotated[
    str | None,
    typer.Option("--what-if", help="Project lead time with one stage changed, e.g. pickup=-50%."),
]


def diagnose(
    service: OneServiceOption = None,
    team: TeamOption = None,
    what_if_text: WhatIfOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: LastOption = None,
    bands: BandsOption = None,
    output: FormatOption = OutputFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Find the bottleneck: lead time by stage, batch size, trunk flow, CI and balance."""

    def body() -> None:
        # Lazy: the report and its analysis cost every other command's start-up ~50 ms.
        from dorameter.analysis.whatif import parse_what_if, what_if  # noqa: PLC0415
        from dorameter.render.console import band_text  # noqa: PLC0415
        from dorameter.render.diagnosis_console import diagnosis_view  # noqa: PLC0415
        from dorameter.report import build_report  # noqa: PLC0415

        if service and team:
            raise InvalidInput("give --service or --team, not both")
        scenario = parse_what_if(what_if_text) if what_if_text else None
        settings = settings_for(config, db, bands)
        period = period_for(since, until, last)
        store = open_store(settings.database_url)
        names = [service] if service else None
        if not service and not team:
            names = _only_service(store.service_names())
        report = build_report(store, settings, period, names, team=team, balance=True)
        chosen = report.services[0]
        projected = (
            what_if(chosen.diagnosis.pull_request_stages, *scenario, settings.bands)
            if scenario
            else None
        )
        if output is OutputFormat.JSON:
            document = diagnose_document(report, chosen, projected)
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            out.print(diagnosis_view(chosen.service, chosen.diagnosis, projected))
            out.print("Overall band: ", band_text(chosen.overall_band), sep="")

    guarded(body)


def _only_service(names: list[str]) -> list[str]:
    if len(names) == 1:
        return names
    known = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
    raise InvalidInput(f"name one --service or a --team (services: {known or 'none stored'})")


def diagnose_document(
    report: Report, service: ServiceReport, projected: WhatIf | None
) -> dict[str, Any]:
    """The JSON of `diagnose`: the service's diagnosis at the top level, with the period."""
    from dorameter.render.diagnosis_document import (  # noqa: PLC0415 (see diagnose)
        diagnosis_document,
        what_if_document,
    )

    return {
        "service": service.service,
        "period": {
            "since": report.period.since.isoformat().replace("+00:00", "Z"),
            "until": report.period.until.isoformat().replace("+00:00", "Z"),
        },
        "bands": report.bands,
        **diagnosis_document(service.diagnosis),
        "what_if": what_if_document(projected) if projected else None,
    }
