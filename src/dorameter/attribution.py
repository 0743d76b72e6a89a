"""Which commits each deployment shipped: one walk over the commit graph, linear in its size.

A chain is the successful deployments of one service to one environment from one repository,
in finish order. Each deployment ships the ancestors of its version (itself included) that no
earlier deployment of the chain shipped. The walk stops at commits already shipped, so every
commit is visited once per chain over the whole history (metrics.md, "Which commits a
deployment ships").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ChainDeployment:
    """A deployment to attribute: its id, the version it names, and the source's rollback flag."""

    id: int
    sha: str
    rollback: bool = False


@dataclass(frozen=True)
class Attribution:
    """What one deployment shipped, and whether it went back to an already shipped version."""

    deployment_id: int
    shipped: tuple[str, ...]
    rollback: bool
    rollback_base_id: int | None  # the deployment that had shipped the version it went back to
    version_missing: bool  # the version is not (yet) among the repository's known commits


class CommitGraph:
    """Parent lookup over known commits, with resolution of abbreviated shas."""

    def __init__(self, parents: Mapping[str, Sequence[str]]) -> None:
        self._parents = parents
        self._sorted: list[str] | None = None

    @classmethod
    def from_shas(cls, shas: Iterable[str]) -> CommitGraph:
        """A graph that only resolves names (no parents known)."""
        return cls(dict.fromkeys(shas, ()))

    def __contains__(self, sha: object) -> bool:
        return sha in self._parents

    def parents(self, sha: str) -> Sequence[str]:
        return self._parents.get(sha, ())

    def resolve(self, name: str) -> str | None:
        """The full sha for a full or unambiguous abbreviated one; None when unknown."""
        if name in self._parents:
            return name
        if len(name) < 4:
            return None
        if self._sorted is None:
            self._sorted = sorted(self._parents)
        start = bisect_left(self._sorted, name)
        found = [sha for sha in self._sorted[start : start + 2] if sha.startswith(name)]
        return found[0] if len(found) == 1 else None


def attribute_chain(
    chain: Sequence[ChainDeployment],
    graph: CommitGraph,
    shipped_by: MutableMapping[str, int],
    current_version: str | None = None,
    rank: MutableMapping[int, int] | None = None,
) -> list[Attribution]:
    """Attribute the chain's deployments in order, extending `shipped_by` (sha -> deployment).

    `shipped_by`, `current_version` and `rank` (deployment id -> position in the chain) carry
    the state left by the chain's earlier, already attributed deployments, so an incremental
    run continues where the last one ended.
    """
    results = []
    rank = {} if rank is None else rank
    next_rank = max(rank.values(), default=-1) + 1
    for position, deployment in enumerate(chain, start=next_rank):
        rank[deployment.id] = position
        version = graph.resolve(deployment.sha)
        if version is None:
            results.append(Attribution(deployment.id, (), deployment.rollback, None, True))
            continue
        base = shipped_by.get(version)
        went_back = base is not None and _goes_back(
            version, base, current_version, shipped_by, rank
        )
        shipped = _walk(version, deployment.id, graph, shipped_by)
        results.append(
            Attribution(
                deployment_id=deployment.id,
                shipped=shipped,
                rollback=went_back or deployment.rollback,
                rollback_base_id=base if went_back else None,
                version_missing=False,
            )
        )
        current_version = version
    return results


def _goes_back(
    version: str,
    base: int,
    current_version: str | None,
    shipped_by: Mapping[str, int],
    rank: Mapping[int, int],
) -> bool:
    """An already shipped version is a rollback unless it is live, or shipped after the live one.

    Deploying again a version that a rollback had left (rolling forward) is not going back;
    a version first shipped no later than the live one is, maintenance releases included.
    """
    if version == current_version:
        return False  # a redeploy of what is live
    live = shipped_by.get(current_version) if current_version else None
    return live is None or rank.get(base, -1) <= rank.get(live, -1)


def _walk(
    version: str, deployment_id: int, graph: CommitGraph, shipped_by: MutableMapping[str, int]
) -> tuple[str, ...]:
    """Mark and return the ancestors of `version` that nothing shipped yet."""
    new: list[str] = []
    stack = [version]
    while stack:
        sha = stack.pop()
        if sha in shipped_by or sha not in graph:
            continue  # shipped before, or beyond the known history (shallow clone, partial sync)
        shipped_by[sha] = deployment_id
        new.append(sha)
        stack.extend(graph.parents(sha))
    return tuple(new)
