"""The demo's monorepo: several simulated services woven into one repository's history."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import replace

from dorameter.demo.simulate import DeliveryBatch, ServiceSimulation
from dorameter.model import Commit


def weave_main_lines(simulations: Sequence[ServiceSimulation]) -> None:
    """Make the services' main branches one main branch, as in a real monorepo.

    Their main commits are interleaved in time order (each service keeping its own order) and
    each one's first parent becomes the commit before it, whichever service that was. A
    deployment of one service then has the other services' commits among its ancestors, which
    attribution must leave out by path (metrics.md, monorepo services).
    """
    where: dict[str, tuple[DeliveryBatch, int]] = {}
    for simulation in simulations:
        for index, commit in enumerate(simulation.batch.commits):
            where[commit.sha] = (simulation.batch, index)
    lines = [[_commit(where, sha) for sha in simulation.main_line] for simulation in simulations]
    previous: str | None = None
    for commit in heapq.merge(*lines, key=lambda item: item.committer_time):
        batch, index = where[commit.sha]
        merged_in = commit.parents[1:]  # the second parent of a merge stays
        parents = (previous, *merged_in) if previous else merged_in
        batch.commits[index] = replace(commit, parents=tuple(parents))
        previous = commit.sha


def _commit(where: dict[str, tuple[DeliveryBatch, int]], sha: str) -> Commit:
    batch, index = where[sha]
    return batch.commits[index]
