"""The raw event log (append-only, deduplicated on the sender's delivery id) and API tokens."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine

from dorameter.errors import InvalidInput, NotFound
from dorameter.store.schema import api_tokens, raw_events, to_micros
from dorameter.store.writes import dialect_insert


class RawStatus:
    """What became of a raw event (stored as text)."""

    PENDING = "pending"  # written, not normalised yet (or the server stopped in between)
    PROCESSED = "processed"
    IGNORED = "ignored"  # an event type that means nothing to dorameter
    FAILED = "failed"  # normalising or applying it raised; `error` says why


@dataclass(frozen=True)
class RawEvent:
    """One delivery as it was received."""

    source: str
    event_type: str
    body: bytes
    headers: str  # JSON object of the headers worth keeping (never secrets)
    received_at: datetime
    delivery_id: str | None = None
    id: int | None = None
    status: str = RawStatus.PENDING
    error: str | None = None


@dataclass(frozen=True)
class StoredToken:
    """An API token as listed (the token itself is never stored, only its hash)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class EventLog:
    """Mixin for Store: the raw event log and API tokens."""

    engine: Engine

    def append_raw(self, connection: Connection, event: RawEvent) -> int | None:
        """Insert one raw event in the caller's transaction; None when its delivery is known."""
        row = {
            "source": event.source,
            "delivery_id": event.delivery_id,
            "event_type": event.event_type,
            "received_at": to_micros(event.received_at),
            "headers": event.headers,
            "body": event.body,
            "status": event.status,
            "error": event.error,
        }
        statement = dialect_insert(self.engine, raw_events).values(**row)
        statement = statement.on_conflict_do_nothing(index_elements=["source", "delivery_id"])
        found = connection.execute(statement.returning(raw_events.c.id)).scalar()
        return None if found is None else int(found)

    def mark_raw(self, ids: Sequence[int], status: str, error: str | None = None) -> None:
        """Record what became of raw events."""
        if not ids:
            return
        now = to_micros(datetime.now(UTC))
        with self.engine.begin() as connection:
            connection.execute(
                update(raw_events)
                .where(raw_events.c.id.in_(list(ids)))
                .values(status=status, processed_at=now, error=error)
            )

    def raw_events(
        self,
        statuses: Sequence[str] | None = None,
        source: str | None = None,
        after_id: int = 0,
        batch: int = 500,
    ) -> Iterator[RawEvent]:
        """Stored raw events in arrival order, read in batches (the log can be large)."""
        while True:
            query = select(raw_events).where(raw_events.c.id > after_id)
            if statuses is not None:
                query = query.where(raw_events.c.status.in_(list(statuses)))
            if source is not None:
                query = query.where(raw_events.c.source == source)
            with self.engine.connect() as connection:
                rows = connection.execute(query.order_by(raw_events.c.id).limit(batch)).all()
            yield from (_raw_event(row) for row in rows)
            if len(rows) < batch:
                return
            after_id = rows[-1].id

    def raw_counts(self) -> dict[str, int]:
        """How many raw events are in each status."""
        query = select(raw_events.c.status, func.count()).group_by(raw_events.c.status)
        with self.engine.connect() as connection:
            return {status: int(count) for status, count in connection.execute(query)}

    def add_token(self, name: str, token_hash: str, prefix: str) -> int:
        """Store a new token's hash under a unique name."""
        with self.engine.begin() as connection:
            taken = connection.execute(
                select(api_tokens.c.id).where(api_tokens.c.name == name)
            ).first()
            if taken is not None:
                raise InvalidInput(f"a token named {name!r} exists already; choose another name")
            created = connection.execute(
                api_tokens.insert()
                .values(
                    name=name,
                    token_hash=token_hash,
                    prefix=prefix,
                    created_at=to_micros(datetime.now(UTC)),
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
            return int(created)

    def token_id(self, token_hash: str) -> int | None:
        """The id of the live (not revoked) token with this hash, or None."""
        query = select(api_tokens.c.id).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return None if found is None else int(found)

    def live_token_hash(self, token_id: int) -> str | None:
        """The stored hash of a live (not revoked) token, or None (it signs browser sessions)."""
        query = select(api_tokens.c.token_hash).where(
            api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return None if found is None else str(found)

    def tokens(self) -> list[StoredToken]:
        """Every token, revoked ones included, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(api_tokens).order_by(api_tokens.c.id)).all()
        return [
            StoredToken(
                row.id, row.name, row.prefix, row.created_at, row.last_used_at, row.revoked_at
            )
            for row in rows
        ]

    def revoke_token(self, name: str) -> None:
        """Revoke a token by name; NotFound when there is none."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(api_tokens)
                .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=to_micros(datetime.now(UTC)))
            )
        if result.rowcount == 0:
            raise NotFound(f"no live token named {name!r}; `dorameter token list` shows them")

    def touch_tokens(self, connection: Connection, ids: Sequence[int], moment: datetime) -> None:
        """Remember when tokens were last used (in the caller's transaction)."""
        if ids:
            connection.execute(
                update(api_tokens)
                .where(api_tokens.c.id.in_(list(ids)))
                .values(last_used_at=to_micros(moment))
            )


def _raw_event(row: Any) -> RawEvent:
    return RawEvent(
        source=row.source,
        event_type=row.event_type,
        body=bytes(row.body),
        headers=row.headers,
        received_at=row.received_at,
        delivery_id=row.delivery_id,
        id=row.id,
        status=row.status,
        error=row.error,
    )
