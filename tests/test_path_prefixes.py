"""PathPrefixes: which changed files lie under a monorepo service's paths."""

from __future__ import annotations

import pytest

from dorameter.errors import InvalidInput
from dorameter.monorepo import PathPrefixes

BILLING = PathPrefixes(("./services/billing/", "libs/money.py", "services/billing"))


@pytest.mark.parametrize(
    ("path", "covered"),
    [
        ("services/billing", True),  # the folder itself (a submodule or a file of that name)
        ("services/billing/api.py", True),
        ("services/billing/deep/er/x.go", True),
        ("libs/money.py", True),  # a file prefix is the file
        ("services/billing-v2/api.py", False),  # a sibling whose name only starts alike
        ("services/billingapi.py", False),
        ("libs/money.pyc", False),
        ("services", False),  # a parent is not under the prefix
        ("other/services/billing/api.py", False),
        ("", False),
    ],
)
def test_a_path_is_covered_only_at_or_under_a_prefix(path: str, covered: bool) -> None:
    assert BILLING.covers(path) is covered


def test_touched_means_any_changed_file_is_covered() -> None:
    assert BILLING.touched(["README.md", "services/billing/api.py"])
    assert not BILLING.touched(["README.md", "services/billing-v2/api.py"])
    assert not BILLING.touched([])


def test_prefixes_are_normalised_deduplicated_and_compared_by_value() -> None:
    assert BILLING.prefixes == ("libs/money.py", "services/billing")
    same = PathPrefixes(("services/billing", "libs/money.py"))
    assert same == BILLING
    assert hash(same) == hash(BILLING)
    assert PathPrefixes.from_stored(BILLING.stored()) == BILLING


def test_a_service_needs_a_path() -> None:
    with pytest.raises(InvalidInput):
        PathPrefixes(())
