"""Stage durations per PR (table-driven), summaries, bottleneck and what-if."""

from __future__ import annotations

import pytest

from dorameter.analysis.bottleneck import bottleneck, bottleneck_finding
from dorameter.analysis.findings import FindingKind
from dorameter.analysis.stages import Stage, pull_request_stages, summarize_stages
from dorameter.analysis.whatif import parse_what_if, what_if
from dorameter.errors import InvalidInput
from dorameter.flow_model import PullRequestFact
from dorameter.metrics.bands import Band
from dorameter.model import BotRules
from tests.analysis.analysis_support import HOUR, pr

BOTS = BotRules()

CASES: list[tuple[str, PullRequestFact, tuple[float | None, ...]]] = [
    ("every stage known", pr(), (2, 3, 3, 2)),
    ("never deployed: deploy missing", pr(deployed=None), (2, 3, 3, None)),
    ("never reviewed: pickup and review missing", pr(reviews=()), (2, None, None, 2)),
    ("first commit unknown: coding missing", pr(first_commit=None), (None, 3, 3, 2)),
    ("a bot's review is no review", pr(reviews=(("ci[bot]", 3), ("grace", 6))), (2, 4, 2, 2)),
    ("the author's own comment is no review", pr(reviews=(("ada", 3), ("bo", 4))), (2, 2, 4, 2)),
    ("only bots reviewed: missing", pr(reviews=(("renovate[bot]", 3),)), (2, None, None, 2)),
    ("draft: pickup starts when ready", pr(ready=6, reviews=(("grace", 7),)), (6, 1, 1, 2)),
    (
        "a review of the draft does not end pickup",
        pr(ready=6, reviews=(("g", 1), ("h", 7))),
        (6, 1, 1, 2),
    ),
    ("reviews in any order", pr(reviews=(("h", 7), ("g", 4))), (2, 2, 4, 2)),
    ("first commit after ready (skew): coding missing", pr(first_commit=3), (None, 3, 3, 2)),
]


@pytest.mark.parametrize(("case", "fact", "expected"), CASES, ids=[c[0] for c in CASES])
def test_stage_durations(
    case: str, fact: PullRequestFact, expected: tuple[float | None, ...]
) -> None:
    stages = pull_request_stages(fact, BOTS)
    hours = tuple(
        None if (value := stages.duration(stage)) is None else value / HOUR for stage in Stage
    )
    assert hours == expected


def test_configured_bot_patterns_are_used() -> None:
    fact = pr(reviews=(("sonar-helper", 3), ("grace", 6)))
    assert pull_request_stages(fact, BotRules((r"^sonar",))).pickup == 4 * HOUR
    assert pull_request_stages(fact, BOTS).pickup == 1 * HOUR


def test_summaries_count_only_known_stages_and_shares_add_up() -> None:
    facts = [pr(1), pr(2, reviews=(("g", 12),), merged=13, deployed=None), pr(3, reviews=())]
    summaries = {
        item.stage: item
        for item in summarize_stages([pull_request_stages(fact, BOTS) for fact in facts])
    }
    assert {stage: item.count for stage, item in summaries.items()} == {
        Stage.CODING: 3,
        Stage.PICKUP: 2,
        Stage.REVIEW: 2,
        Stage.DEPLOY: 2,
    }
    assert summaries[Stage.PICKUP].median_seconds == pytest.approx(6.5 * HOUR)
    assert sum(item.share or 0 for item in summaries.values()) == pytest.approx(1.0)


def test_summaries_of_nothing_are_missing() -> None:
    summaries = summarize_stages([])
    assert all(item.count == 0 and item.median_seconds is None for item in summaries)
    assert bottleneck(summaries) is None


def test_the_bottleneck_is_named_with_its_numbers() -> None:
    facts = [pr(n, reviews=(("grace", 2 + 19),), merged=22, deployed=23) for n in range(4)]
    summaries = summarize_stages([pull_request_stages(fact, BOTS) for fact in facts])
    slowest = bottleneck(summaries)
    assert slowest is not None and slowest.stage == Stage.PICKUP
    finding = bottleneck_finding(slowest)
    assert finding.kind == FindingKind.SLOW_PICKUP
    assert finding.message == (
        "PRs wait a median 19 h for a first review: 83% of lead time (p90 19 h, 4 PRs)."
    )
    assert "review rotation" in finding.lever


def test_what_if_shortens_one_stage_and_reclassifies() -> None:
    # Lead time 50 h (High), 43 h of it pickup; halving pickup gives 28.5 h, still High;
    # removing 90% of it gives 11.3 h (Elite, under a day).
    facts = [pr(n, reviews=(("g", 45),), merged=48, deployed=50) for n in range(3)]
    stages = [pull_request_stages(fact, BOTS) for fact in facts]
    half = what_if(stages, Stage.PICKUP, -0.5, "2023")
    most = what_if(stages, Stage.PICKUP, -0.9, "2023")
    assert (half.median_seconds, half.projected_median_seconds) == (
        50 * HOUR,
        pytest.approx(28.5 * HOUR),
    )
    assert (half.band, half.projected_band) == (Band.HIGH, Band.HIGH)
    assert most.projected_band == Band.ELITE


@pytest.mark.parametrize(
    ("text", "expected"),
    [("pickup=-50%", (Stage.PICKUP, -0.5)), (" Deploy = -25.5 % ", (Stage.DEPLOY, -0.255))],
)
def test_what_if_parses(text: str, expected: tuple[Stage, float]) -> None:
    assert parse_what_if(text) == expected


@pytest.mark.parametrize("text", ["pickup", "lunch=-5%", "pickup=-150%", "pickup=-5"])
def test_what_if_rejects_nonsense(text: str) -> None:
    with pytest.raises(InvalidInput, match="--what-if"):
        parse_what_if(text)
