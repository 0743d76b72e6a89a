"""Which commits each deployment ships: attribute_chain and CommitGraph on in-memory graphs.

Graphs are written with short commit names; `sha(name)` turns a name into a full 40-hex sha.
Expected results are written by hand from metrics.md, "Which commits a deployment ships".
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from dorameter.attribution import Attribution, ChainDeployment, CommitGraph, attribute_chain


def sha(name: str) -> str:
    """A stable full sha for a commit name."""
    return hashlib.sha1(name.encode()).hexdigest()


def graph_of(edges: Mapping[str, Sequence[str]]) -> CommitGraph:
    """A CommitGraph from {name: parent names}."""
    return CommitGraph(
        {sha(name): tuple(sha(parent) for parent in parents) for name, parents in edges.items()}
    )


# a - b - c - d - e
LINEAR = {"a": (), "b": ("a",), "c": ("b",), "d": ("c",), "e": ("d",)}
# a - b ------- m - c      m merges f2 into b
#  \           /
#   f1 ----- f2
MERGE = {
    "a": (),
    "b": ("a",),
    "f1": ("a",),
    "f2": ("f1",),
    "m": ("b", "f2"),
    "c": ("m",),
}
# a - b - c          main
#      \
#       h1 - h2      maintenance branch cut at b, never merged
MAINTENANCE = {"a": (), "b": ("a",), "c": ("b",), "h1": ("b",), "h2": ("h1",)}

UNKNOWN = "f" * 40  # a version that is not among the known commits


@dataclass(frozen=True)
class Expected:
    """What one deployment should ship: commit names, rollback verdict, base, missing."""

    shipped: frozenset[str] = frozenset()
    rollback: bool = False
    base: int | None = None
    missing: bool = False


def ships(*names: str) -> Expected:
    return Expected(frozenset(names))


NOTHING = Expected()

# (graph, chain as (id, version name or full sha, source rollback flag), expected per deployment)
Scenario = tuple[Mapping[str, Sequence[str]], Sequence[tuple[int, str, bool]], Sequence[Expected]]

SCENARIOS: dict[str, Scenario] = {
    "linear history": (
        LINEAR,
        [(1, "b", False), (2, "d", False), (3, "e", False)],
        [ships("a", "b"), ships("c", "d"), ships("e")],
    ),
    "one deployment ships a merge and both of its sides once": (
        MERGE,
        [(1, "c", False)],
        [ships("a", "b", "f1", "f2", "m", "c")],
    ),
    "a merge after a deployment ships only the merged branch and the merge": (
        MERGE,
        [(1, "b", False), (2, "m", False), (3, "c", False)],
        [ships("a", "b"), ships("f1", "f2", "m"), ships("c")],
    ),
    "a deployment of the side branch, then of the merge": (
        MERGE,
        [(1, "f2", False), (2, "c", False)],
        [ships("a", "f1", "f2"), ships("b", "m", "c")],
    ),
    "two deployments sharing history: the second ships only new commits": (
        LINEAR,
        [(1, "c", False), (2, "e", False)],
        [ships("a", "b", "c"), ships("d", "e")],
    ),
    "a redeploy of the current version ships nothing and is no rollback": (
        LINEAR,
        [(1, "c", False), (2, "c", False)],
        [ships("a", "b", "c"), NOTHING],
    ),
    "a rollback to an older deployed version": (
        LINEAR,
        [(1, "b", False), (2, "d", False), (3, "b", False)],
        [ships("a", "b"), ships("c", "d"), Expected(rollback=True, base=1)],
    ),
    "a rollback to a commit in the middle of a deployment": (
        LINEAR,
        [(1, "b", False), (2, "e", False), (3, "d", False)],
        [ships("a", "b"), ships("c", "d", "e"), Expected(rollback=True, base=2)],
    ),
    "a rollback, then a deployment of new work ships only the new commits": (
        LINEAR,
        [(1, "b", False), (2, "c", False), (3, "b", False), (4, "e", False)],
        [ships("a", "b"), ships("c"), Expected(rollback=True, base=1), ships("d", "e")],
    ),
    "a maintenance release off an old commit is no rollback and ships its own commits": (
        MAINTENANCE,
        [(1, "c", False), (2, "h2", False)],
        [ships("a", "b", "c"), ships("h1", "h2")],
    ),
    "a source's rollback flag on an already shipped version": (
        LINEAR,
        [(1, "b", False), (2, "d", False), (3, "c", True)],
        [ships("a", "b"), ships("c", "d"), Expected(rollback=True, base=2)],
    ),
    "a source's rollback flag on a new version still ships it": (
        LINEAR,
        [(1, "b", False), (2, "c", True)],
        [ships("a", "b"), Expected(frozenset({"c"}), rollback=True)],
    ),
    "a source's rollback flag on a redeploy": (
        LINEAR,
        [(1, "c", False), (2, "c", True)],
        [ships("a", "b", "c"), Expected(rollback=True)],
    ),
    # After a rollback from d to b, deploying d again moves forward: nothing new, no rollback.
    "rolling forward to the version a rollback left is no rollback": (
        LINEAR,
        [(1, "b", False), (2, "d", False), (3, "b", False), (4, "d", False)],
        [ships("a", "b"), ships("c", "d"), Expected(rollback=True, base=1), NOTHING],
    ),
    "an older maintenance release deployed again after main is a rollback": (
        MAINTENANCE,
        [(1, "h2", False), (2, "c", False), (3, "h2", False)],
        [ships("a", "b", "h1", "h2"), ships("c"), Expected(rollback=True, base=1)],
    ),
    "an unknown version ships nothing and is missing": (
        LINEAR,
        [(1, "b", False), (2, UNKNOWN, False), (3, "d", False)],
        [ships("a", "b"), Expected(missing=True), ships("c", "d")],
    ),
    "an unknown version keeps the source's rollback flag": (
        LINEAR,
        [(1, "b", False), (2, UNKNOWN, True)],
        [ships("a", "b"), Expected(rollback=True, missing=True)],
    ),
    # The unknown version does not change what is known to be live: redeploying b is no rollback.
    "an unknown version leaves the live version as it was": (
        LINEAR,
        [(1, "b", False), (2, UNKNOWN, False), (3, "b", False)],
        [ships("a", "b"), Expected(missing=True), NOTHING],
    ),
    "the first deployment's version is unknown": (
        LINEAR,
        [(1, UNKNOWN, False), (2, "c", False)],
        [Expected(missing=True), ships("a", "b", "c")],
    ),
}


def chain_of(spec: Sequence[tuple[int, str, bool]]) -> list[ChainDeployment]:
    return [
        ChainDeployment(id_, name if len(name) == 40 else sha(name), flag)
        for id_, name, flag in spec
    ]


def named(results: Sequence[Attribution], edges: Mapping[str, Sequence[str]]) -> list[Expected]:
    """Results in the vocabulary of the table, checking that nothing is shipped twice."""
    names = {sha(name): name for name in edges}
    for result in results:
        assert len(result.shipped) == len(set(result.shipped)), "a commit shipped twice"
    return [
        Expected(
            frozenset(names[shipped] for shipped in result.shipped),
            result.rollback,
            result.rollback_base_id,
            result.version_missing,
        )
        for result in results
    ]


@pytest.mark.parametrize("name", SCENARIOS)
def test_attribute_chain(name: str) -> None:
    edges, spec, expected = SCENARIOS[name]
    chain = chain_of(spec)

    results = attribute_chain(chain, graph_of(edges), {})

    assert [result.deployment_id for result in results] == [item.id for item in chain]
    assert named(results, edges) == list(expected)


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_by_maps_every_shipped_commit_to_its_deployment(name: str) -> None:
    edges, spec, _expected = SCENARIOS[name]
    shipped_by: dict[str, int] = {}

    results = attribute_chain(chain_of(spec), graph_of(edges), shipped_by)

    assert shipped_by == {
        commit: result.deployment_id for result in results for commit in result.shipped
    }


def live_version(
    chain: Sequence[ChainDeployment], results: Sequence[Attribution], graph: CommitGraph
) -> str | None:
    """The version the attributed part of a chain left live: its last known version."""
    for deployment, result in zip(reversed(chain), reversed(results), strict=True):
        if not result.version_missing:
            return graph.resolve(deployment.sha)
    return None


@pytest.mark.parametrize("name", SCENARIOS)
def test_continuing_from_saved_state_equals_one_pass(name: str) -> None:
    edges, spec, _expected = SCENARIOS[name]
    chain = chain_of(spec)
    graph = graph_of(edges)
    one_pass_state: dict[str, int] = {}
    one_pass = attribute_chain(chain, graph, one_pass_state)

    for split in range(len(chain) + 1):
        state: dict[str, int] = {}
        rank: dict[int, int] = {}
        first = attribute_chain(chain[:split], graph, state, rank=rank)
        rest = attribute_chain(
            chain[split:],
            graph,
            state,
            current_version=live_version(chain[:split], first, graph),
            rank=rank,
        )
        assert first + rest == one_pass, f"split after {split} deployments"
        assert state == one_pass_state


# Hand-made shas for prefix resolution: two share the prefix "abcdef", one starts "abc0".
ROOT = "abc0000" + "3" * 33
MIDDLE = "abcdef0" + "1" * 33
TIP = "abcdef1" + "2" * 33
PREFIX_GRAPH = {ROOT: (), MIDDLE: (ROOT,), TIP: (MIDDLE,)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (TIP, TIP),  # a full sha
        ("abcdef0", MIDDLE),  # a unique abbreviation
        ("abcdef1222", TIP),
        ("abc0", ROOT),  # four characters are enough when unique
        ("abcdef", None),  # ambiguous: MIDDLE and TIP
        ("abc", None),  # shorter than git's minimum abbreviation
        ("ab", None),
        ("", None),
        ("abcd", None),  # ambiguous too
        ("ffff", None),  # sorts after every known sha
        ("0000", None),  # sorts before every known sha
        ("abcdef2", None),  # between known shas, matching none
        ("e" * 40, None),  # a full sha that is not known
    ],
)
def test_resolve(name: str, expected: str | None) -> None:
    assert CommitGraph(PREFIX_GRAPH).resolve(name) == expected


def test_graph_membership_and_parents() -> None:
    graph = CommitGraph(PREFIX_GRAPH)

    assert TIP in graph
    assert "abcdef1" not in graph  # membership is by full sha only
    assert list(graph.parents(TIP)) == [MIDDLE]
    assert list(graph.parents(ROOT)) == []
    assert list(graph.parents("e" * 40)) == []  # beyond the known history


def test_an_abbreviated_version_ships_like_the_full_one() -> None:
    graph = CommitGraph(PREFIX_GRAPH)

    results = attribute_chain(
        [ChainDeployment(1, "abcdef0"), ChainDeployment(2, "abcdef1"), ChainDeployment(3, "abc0")],
        graph,
        {},
    )

    assert [set(result.shipped) for result in results] == [{ROOT, MIDDLE}, {TIP}, set()]
    assert [(r.rollback, r.rollback_base_id, r.version_missing) for r in results] == [
        (False, None, False),
        (False, None, False),
        (True, 1, False),  # abc0 is ROOT, shipped by deployment 1
    ]


def test_an_ambiguous_abbreviation_is_a_missing_version() -> None:
    results = attribute_chain([ChainDeployment(7, "abcdef")], CommitGraph(PREFIX_GRAPH), {})

    assert results == [Attribution(7, (), False, None, True)]


def test_history_beyond_the_known_commits_is_not_walked() -> None:
    # A shallow clone: b's parent a is not known; b and c ship, nothing else.
    graph = CommitGraph({sha("b"): (sha("a"),), sha("c"): (sha("b"),)})

    (result,) = attribute_chain([ChainDeployment(1, sha("c"))], graph, {})

    assert set(result.shipped) == {sha("b"), sha("c")}


class CountingGraph(CommitGraph):
    """A CommitGraph that counts parent lookups and how often each sha is handed out."""

    def __init__(self, parents: Mapping[str, Sequence[str]]) -> None:
        super().__init__(parents)
        self.lookups: Counter[str] = Counter()
        self.handed_out: Counter[str] = Counter()

    def parents(self, sha: str) -> Sequence[str]:
        self.lookups[sha] += 1
        found = super().parents(sha)
        self.handed_out.update(found)
        return found


def test_a_long_linear_history_is_walked_in_linear_time() -> None:
    commits, deployments = 200_000, 2_000
    names = [f"{index:040x}" for index in range(commits)]
    graph = CountingGraph(
        {name: (names[index - 1],) if index else () for index, name in enumerate(names)}
    )
    step = commits // deployments
    chain = [ChainDeployment(k + 1, names[(k + 1) * step - 1]) for k in range(deployments)]

    results = attribute_chain(chain, graph, {})

    assert [len(result.shipped) for result in results] == [step] * deployments
    # Each commit's parents are looked up once, when it is shipped.
    assert graph.lookups.total() == commits
    assert max(graph.lookups.values()) == 1
    # A commit goes on the stack as a parent of its child, and once more if it is a version.
    pushes = graph.handed_out + Counter(deployment.sha for deployment in chain)
    assert pushes.total() == (commits - 1) + deployments
    assert max(pushes.values()) == 2


def test_merges_are_walked_once_per_commit() -> None:
    # A ladder: main commits m0..m(n-1), each merging a one-commit branch b_i cut from m(i-1).
    rungs = 5_000
    edges: dict[str, tuple[str, ...]] = {"m0": ()}
    for index in range(1, rungs):
        edges[f"b{index}"] = (f"m{index - 1}",)
        edges[f"m{index}"] = (f"m{index - 1}", f"b{index}")
    graph = CountingGraph(
        {sha(name): tuple(sha(p) for p in parents) for name, parents in edges.items()}
    )
    chain = [ChainDeployment(k, sha(f"m{k}")) for k in range(9, rungs, 10)]  # m4999 last

    results = attribute_chain(chain, graph, {})

    assert sum(len(result.shipped) for result in results) == len(edges)
    assert max(graph.lookups.values()) == 1
    # m(i-1) is a parent of both m(i) and b(i), and may also be a version.
    assert max(graph.handed_out.values()) == 2
