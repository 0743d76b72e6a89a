"""The only package that speaks SQL: schema, migrations and queries behind one Store object."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from dorameter.store.baselines import BaselineQueries, SavedBaseline
from dorameter.store.database import (
    DATABASE_URL_ENV,
    create_store_engine,
    default_database_url,
    describe_url,
    migrate,
)
from dorameter.store.events import EventLog, RawEvent, RawStatus, StoredToken
from dorameter.store.flow import FlowWrites
from dorameter.store.flow_reads import FlowReads
from dorameter.store.locks import LockQueries
from dorameter.store.observed import ObservedWrites
from dorameter.store.reads import ReadQueries
from dorameter.store.service_paths import ServicePathQueries
from dorameter.store.shipping import ShippingQueries
from dorameter.store.writes import UpsertCounts, WriteQueries


class Store(
    WriteQueries,
    FlowWrites,
    FlowReads,
    ObservedWrites,
    EventLog,
    ShippingQueries,
    ReadQueries,
    LockQueries,
    BaselineQueries,
    ServicePathQueries,
):
    """Delivery records in one database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return describe_url(self.engine.url.render_as_string(hide_password=False))

    @property
    def reads_concurrently(self) -> bool:
        """Whether two threads should read at once, each on a connection of its own.

        Only on PostgreSQL, where each connection is a server process of its own. On SQLite
        the two reads were measured slower side by side than in turn (the large demo report
        took 4.1 s instead of 3.2 s: docs/scaling.md), and an in-memory SQLite database
        would give each thread another, empty database.
        """
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None) -> Store:
    """Open (and if needed create and migrate) the store at a SQLAlchemy URL."""
    engine = create_store_engine(url or default_database_url())
    migrate(engine)
    return Store(engine)


__all__ = [
    "DATABASE_URL_ENV",
    "RawEvent",
    "RawStatus",
    "SavedBaseline",
    "Store",
    "StoredToken",
    "UpsertCounts",
    "default_database_url",
    "open_store",
]
