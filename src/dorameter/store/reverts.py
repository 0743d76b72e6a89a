"""Expand abbreviated shas named by revert messages ("This reverts commit 1a2b3c4") to full ones.

A prefix is unambiguous when exactly one stored commit of the repository starts with it. The
commits starting with a prefix are a range of the (repository_id, sha) index when shas compare
byte by byte (SQLite; PostgreSQL with a C collation): from the prefix itself up to the prefix
with its last character incremented. So each prefix costs one index lookup, not a read of every
sha of the repository. Under any other collation a range can miss commits or hold others, so
there the shas are read and searched in memory (CommitGraph.resolve), as they always were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Connection

from dorameter.attribution import CommitGraph
from dorameter.store.rows import driver_rows
from dorameter.store.schema import commits

FULL_SHA = 40  # shorter references are abbreviated (SHA-1; a SHA-256 one is 64)
_SHORTEST = 4  # git's own minimum abbreviation

# Locales whose collation is plain byte (code point) order for ASCII text: glibc's C.UTF-8
# sorts by code point. Any other (en_US, ICU, ...) may not: Danish sorts "aa" after "z".
_BYTE_ORDER_LOCALES = frozenset({"c", "posix", "c.utf8", "c.utf-8"})

# The provider ("c" libc, "i" ICU, ...) and locale of commits.sha's collation on PostgreSQL: its
# own, or the database's when it has the default one. datlocprovider exists from PostgreSQL 15
# on; before, every database collation came from libc.
_SHA_COLLATION = text(
    """
    SELECT
        CASE WHEN c.collprovider = 'd'
            THEN coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') ELSE c.collprovider::text END,
        CASE WHEN c.collprovider = 'd' THEN d.datcollate ELSE c.collcollate END
    FROM pg_attribute a
    JOIN pg_collation c ON c.oid = a.attcollation
    JOIN pg_database d ON d.datname = current_database()
    WHERE a.attrelid = 'commits'::regclass AND a.attname = 'sha'
    """
)


def expand_short_reverts(
    connection: Connection, repository_id: int, given: Mapping[str, str], added: int
) -> None:
    """Store the full sha of every abbreviated revert target of the repository that now resolves.

    `given` maps the sha of each commit just stored (new or found already) that names an
    abbreviated target to that target; `added` is how many commits were new. When the new ones
    are all the repository holds (a first ingest), `given` has every abbreviated target there
    is; otherwise the stored ones are read too: a target they name may just have arrived.
    """
    if _holds_more_than(connection, repository_id, added):
        pending = [
            (sha, target)
            for sha, target in connection.execute(
                select(commits.c.sha, commits.c.reverts).where(
                    commits.c.repository_id == repository_id,
                    func.length(commits.c.reverts) < FULL_SHA,
                )
            )
        ]
    else:
        pending = list(given.items())
    if not pending:
        return
    resolve = _resolver(connection, repository_id)
    resolved = [{"key": sha, "full": full} for sha, target in pending if (full := resolve(target))]
    if resolved:
        connection.execute(
            update(commits)
            .where(commits.c.repository_id == repository_id, commits.c.sha == bindparam("key"))
            .values(reverts=bindparam("full")),
            resolved,
        )


def _holds_more_than(connection: Connection, repository_id: int, count: int) -> bool:
    """Whether the repository has more than `count` commits (counting no further than that)."""
    some = (
        select(commits.c.id)
        .where(commits.c.repository_id == repository_id)
        .limit(count + 1)
        .subquery()
    )
    return int(connection.execute(select(func.count()).select_from(some)).scalar_one()) > count


def _resolver(connection: Connection, repository_id: int) -> Callable[[str], str | None]:
    """Prefix lookups in the index where shas compare byte by byte, else in memory over every
    sha of the repository (a collation-aware range would not hold the same commits)."""
    if connection.dialect.name != "postgresql" or _sha_bytewise(connection):
        return partial(_by_range, connection, repository_id)
    query = select(commits.c.sha).where(commits.c.repository_id == repository_id)
    return CommitGraph.from_shas(sha for (sha,) in driver_rows(connection, query)).resolve


def _sha_bytewise(connection: Connection) -> bool:
    """Whether PostgreSQL compares commits.sha in byte order (SQLite always does: BINARY)."""
    provider, locale = connection.execute(_SHA_COLLATION).one()
    return provider == "c" and str(locale).lower() in _BYTE_ORDER_LOCALES


def _by_range(connection: Connection, repository_id: int, prefix: str) -> str | None:
    """The one stored sha starting with `prefix`, else None (none, or several)."""
    if len(prefix) < _SHORTEST:
        return None
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first string past every `prefix...`
    found = (
        connection.execute(
            select(commits.c.sha)
            .where(
                commits.c.repository_id == repository_id,
                commits.c.sha >= prefix,
                commits.c.sha < after,
            )
            .limit(2)
        )
        .scalars()
        .all()
    )
    return found[0] if len(found) == 1 else None
