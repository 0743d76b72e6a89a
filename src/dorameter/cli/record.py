"""`dorameter record ...`: add what git cannot know, from a pipeline step or by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import typer

from dorameter.cli.common import ConfigOption, DbOption, err, guarded, settings_for
from dorameter.config import API_TOKEN_ENV
from dorameter.errors import InvalidInput
from dorameter.ingest import record_deployments, record_incidents
from dorameter.model import Deployment, DeploymentStatus, Incident
from dorameter.sources import push
from dorameter.store import open_store
from dorameter.timestamps import parse_instant

record_app = typer.Typer(
    help="Record a deployment or an incident that git cannot see.", no_args_is_help=True
)

ServiceArg = Annotated[str, typer.Option(help="The service.", show_default=False)]
IdOption = Annotated[
    str | None,
    typer.Option(
        "--id",
        help="Stable id from your tool; recording the same id again updates the record "
        "\\[default: derived from the other fields].",
    ),
]


ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="Send to the push API of the dorameter server at this URL instead of "
        "writing to a store.",
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help=f"API token for --server (`dorameter token create`) \\[env: {API_TOKEN_ENV}].",
        envvar=API_TOKEN_ENV,
        show_envvar=False,
        show_default=False,
    ),
]


def _send(server: str, token: str | None, method: str, path: str, doc: dict[str, Any]) -> None:
    """Send a record to a server and say what it answered."""
    from dorameter.client import PushClient  # noqa: PLC0415 (httpx costs every command ~50 ms)

    answer = PushClient(server, token or "").send(method, path, doc)
    status = answer.get("status", "accepted")
    err.print(f"{answer.get('id', doc.get('id', ''))} {status} by {server}", highlight=False)


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    if text == "now":
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except InvalidInput as error:
        raise InvalidInput(f"{name}: {error}") from None


@record_app.command("deployment")
def record_deployment(
    service: ServiceArg,
    sha: Annotated[
        str, typer.Option(help="The version deployed (commit sha).", show_default=False)
    ],
    environment: Annotated[str, typer.Option(help="Where it went.")] = "production",
    finished_at: Annotated[str, typer.Option(help="When it finished (ISO time, or now).")] = "now",
    started_at: Annotated[str | None, typer.Option(help="When it started.")] = None,
    status: Annotated[DeploymentStatus, typer.Option(help="Outcome.")] = DeploymentStatus.SUCCESS,
    repository: Annotated[
        str | None,
        typer.Option(help="Stored repository holding the sha \\[default: the service's name]."),
    ] = None,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="This deployment is a rollback.")
    ] = False,
    fixes: Annotated[
        str | None, typer.Option(help="Id of the deployment or incident this one remediates.")
    ] = None,
    external_id: IdOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Record one deployment of a version to an environment."""

    def body() -> None:
        settings = settings_for(config, db)
        finished = _moment(finished_at, "--finished-at")
        assert finished is not None
        version = sha.strip().lower()
        deployment = Deployment(
            service=service,
            environment=environment,
            sha=version,
            finished_at=finished,
            started_at=_moment(started_at, "--started-at"),
            status=status,
            external_id=external_id or push.deployment_id(service, environment, version, finished),
            source="record",
            repository=repository or service,
            rollback=rollback,
            fixes=fixes,
        )
        if deployment.started_at and deployment.started_at > finished:
            raise InvalidInput("--started-at is after --finished-at")
        if server:
            document = push.deployment_document(deployment)
            _send(server, token, "POST", "/api/v1/deployments", document)
            return
        summary = record_deployments(open_store(settings.database_url), settings, [deployment])
        verb = "added" if summary.deployments.added else "updated"
        err.print(f"deployment {deployment.external_id} {verb}", highlight=False)

    guarded(body)


@record_app.command("incident")
def record_incident(
    service: ServiceArg,
    started_at: Annotated[str, typer.Option(help="When it started (ISO time, or now).")] = "now",
    resolved_at: Annotated[str | None, typer.Option(help="When it was resolved.")] = None,
    title: Annotated[str, typer.Option(help="Short description.")] = "",
    severity: Annotated[str | None, typer.Option(help="Severity, as your tool names it.")] = None,
    caused_by_deployment: Annotated[
        str | None, typer.Option(help="Id of the deployment that caused it.")
    ] = None,
    caused_by_sha: Annotated[
        str | None, typer.Option(help="Version or commit that caused it.")
    ] = None,
    not_change_caused: Annotated[
        bool,
        typer.Option(
            "--not-change-caused",
            help="It was not caused by a change (never counted as a failure).",
        ),
    ] = False,
    external_id: IdOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Record an incident; record it again with the same --id and --resolved-at to resolve it."""

    def body() -> None:
        settings = settings_for(config, db)
        started = _moment(started_at, "--started-at")
        assert started is not None
        resolved = _moment(resolved_at, "--resolved-at")
        if resolved is not None and resolved < started:
            raise InvalidInput("--resolved-at is before --started-at")
        if not_change_caused and (caused_by_deployment or caused_by_sha):
            raise InvalidInput("--not-change-caused contradicts --caused-by-...")
        incident = Incident(
            service=service,
            external_id=external_id or push.incident_id(service, started, title),
            source="record",
            started_at=started,
            resolved_at=resolved,
            title=title,
            severity=severity,
            caused_by_deployment=caused_by_deployment,
            caused_by_sha=caused_by_sha.strip().lower() if caused_by_sha else None,
            change_caused=False if not_change_caused else None,
        )
        if server:
            _send(server, token, "POST", "/api/v1/incidents", push.incident_document(incident))
            return
        summary = record_incidents(open_store(settings.database_url), [incident])
        verb = "added" if summary.incidents.added else "updated"
        err.print(f"incident {incident.external_id} {verb}", highlight=False)

    guarded(body)


@record_app.command("resolve")
def record_resolve(
    incident_id: Annotated[str, typer.Argument(help="Id of the recorded incident.")],
    resolved_at: Annotated[
        str, typer.Option(help="When it was resolved (ISO time, or now).")
    ] = "now",
    server: ServerOption = None,
    token: TokenOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Mark a recorded incident resolved."""

    def body() -> None:
        resolved = _moment(resolved_at, "--resolved-at")
        assert resolved is not None
        if server:
            path = "/api/v1/incidents/" + quote(incident_id, safe="")
            _send(server, token, "PATCH", path, {"resolved_at": resolved.isoformat()})
            return
        settings = settings_for(config, db)
        open_store(settings.database_url).resolve_incident(incident_id, resolved)
        err.print(f"incident {incident_id} resolved at {resolved.isoformat()}", highlight=False)

    guarded(body)
