"""dorameter notify: post the weekly digest to a webhook."""

from __future__ import annotations

from typing import Annotated

import typer

from dorameter.cli.common import (
    BandsOption,
    ConfigOption,
    DbOption,
    err,
    guarded,
    period_for,
    settings_for,
)
from dorameter.store import open_store


def notify(
    webhook: Annotated[str, typer.Option(help="Slack incoming webhook or any HTTP(S) URL.")],
    kind: Annotated[
        str, typer.Option("--format", help="slack (a message) or json (digest and report).")
    ] = "slack",
    service: Annotated[
        list[str] | None, typer.Option(help="Only these services (repeatable) \\[default: all].")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="End of the week, exclusive \\[default: now].")
    ] = None,
    bands: BandsOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Post the digest of the last 7 days, retrying while the endpoint is unavailable."""

    def body() -> None:
        from dorameter.notify import digest_payload, post_webhook  # noqa: PLC0415 (lazy: start-up)
        from dorameter.report import build_report  # noqa: PLC0415 (lazy: start-up)

        settings = settings_for(config, db, bands)
        report = build_report(
            open_store(settings.database_url), settings, period_for(None, until, "7d"), service
        )

        attempts = post_webhook(webhook, digest_payload(report, kind))
        err.print(f"digest posted ({attempts} attempt{'s' if attempts > 1 else ''})")

    guarded(body)
