"""`dorameter serve`, `dorameter token ...` and `dorameter reprocess`: the receiving server."""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from dorameter.cli.common import ConfigOption, DbOption, err, guarded, out, settings_for
from dorameter.config import Settings
from dorameter.errors import InvalidInput
from dorameter.store import RawStatus, open_store
from dorameter.tokens import generate_token

token_app = typer.Typer(
    help="API tokens for the push API and CDEvents (stored hashed).", no_args_is_help=True
)

_SECRETS = (
    ("GitHub", "github_secret", "DORAMETER_GITHUB_WEBHOOK_SECRET"),
    ("GitLab", "gitlab_token", "DORAMETER_GITLAB_WEBHOOK_TOKEN"),
    ("PagerDuty", "pagerduty_secret", "DORAMETER_PAGERDUTY_SECRET"),
    ("Opsgenie", "opsgenie_token", "DORAMETER_OPSGENIE_TOKEN"),
)


class ReadAuth(StrEnum):
    """Who may read the dashboard, the read API and /metrics."""

    NONE = "none"
    TOKEN = "token"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request (method, path, status).")
    ] = False,
    auth: Annotated[
        ReadAuth,
        typer.Option(
            "--auth",
            help="Reading (dashboard, read API, /metrics): open to all (none) or only with an "
            "API token (token).",
        ),
    ] = ReadAuth.NONE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the dashboard, the read API and /metrics; receive webhooks, CDEvents, the push API."""

    def body() -> None:
        if not 0 < port < 65536:
            raise InvalidInput(f"--port {port} is not a port number (1-65535)")
        settings = settings_for(config, db)
        server = replace(settings.server, read_auth=auth is ReadAuth.TOKEN)
        run_server(replace(settings, server=server), host, port, access_log)

    guarded(body)


def run_server(
    settings: Settings, host: str, port: int, access_log: bool = False, dashboard: str = "/"
) -> None:
    """Open the store, say what is on and serve until stopped."""
    import uvicorn  # noqa: PLC0415 (only the server needs it)

    from dorameter.web import create_app  # noqa: PLC0415

    store = open_store(settings.database_url)
    _configure_logging()
    _announce(settings, store.url, host, port)
    err.print(f"dashboard: http://{host}:{port}{dashboard}", highlight=False)
    uvicorn.run(
        create_app(settings, store),
        host=host,
        port=port,
        access_log=access_log,
        log_level="info",
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _announce(settings: Settings, store_url: str, host: str, port: int) -> None:
    """Say what is on: the store, and which webhook sources have their secret set."""
    err.print(f"store: {store_url}", highlight=False)
    for name, attribute, variable in _SECRETS:
        enabled = getattr(settings.server, attribute) is not None
        state = "on" if enabled else f"off (set {variable})"
        err.print(f"{name} webhooks: {state}", highlight=False)
    reading = "API token required" if settings.server.read_auth else "open (--auth token to close)"
    err.print(f"reading: {reading}", highlight=False)
    err.print(f"listening on http://{host}:{port}", highlight=False)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="A name to tell the token apart, e.g. ci-shop.")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""

    def body() -> None:
        if not name.strip() or len(name) > 200:
            raise InvalidInput("the token name must have 1 to 200 characters")
        settings = settings_for(config, db)
        token = generate_token()
        open_store(settings.database_url).add_token(name.strip(), token.hash, token.prefix)
        err.print(f"token {name!r} created; it is shown only this once:", highlight=False)
        out.print(token.secret, highlight=False, soft_wrap=True)

    guarded(body)


@token_app.command("list")
def token_list(db: DbOption = None, config: ConfigOption = None) -> None:
    """List tokens: name, prefix, created, last used, revoked."""

    def body() -> None:
        settings = settings_for(config, db)
        table = Table("Name", "Prefix", "Created", "Last used", "Revoked")
        for token in open_store(settings.database_url).tokens():
            table.add_row(
                token.name,
                token.prefix + "...",
                f"{token.created_at:%Y-%m-%d %H:%M}",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "",
                f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
            )
        out.print(table)

    guarded(body)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Revoke a token (a running server refuses it within 10 seconds)."""

    def body() -> None:
        settings = settings_for(config, db)
        open_store(settings.database_url).revoke_token(name)
        err.print(f"token {name!r} revoked", highlight=False)

    guarded(body)


def reprocess(
    all_events: Annotated[
        bool,
        typer.Option(
            "--all", help="Every raw event, also those processed or ignored before (after a fix)."
        ),
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(help="Only events of this source: github, gitlab, pagerduty, opsgenie, ..."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Normalise and apply raw events again: by default those pending or failed."""

    def body() -> None:
        settings = settings_for(config, db)
        store = open_store(settings.database_url)
        statuses = None if all_events else [RawStatus.PENDING, RawStatus.FAILED]
        from dorameter.events import reprocess as reprocess_events  # noqa: PLC0415 (lazy: start-up)

        report = reprocess_events(store, settings, statuses, source)
        outcomes = ", ".join(
            f"{count} {status}" for status, count in sorted(report.outcomes.items())
        )
        err.print(f"{report.read} raw events re-processed" + (f": {outcomes}" if outcomes else ""))

    guarded(body)
