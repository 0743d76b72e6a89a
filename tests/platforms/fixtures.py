"""Paths of the shared real payloads (../shared/fixtures), read as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
GITHUB_REST = FIXTURES / "github-rest"
GITHUB_HOOKS = FIXTURES / "github-webhooks"
GITLAB_HOOKS = FIXTURES / "gitlab-webhooks"


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def hook_examples(event: str) -> list[Path]:
    """Every example body of a GitHub webhook event, the extra captures included."""
    examples = sorted((GITHUB_HOOKS / "payload-examples" / event).glob("*.json"))
    return examples + sorted((GITHUB_HOOKS / "extra").glob(f"{event}__*.json"))


def ids(paths: list[Path]) -> list[str]:
    return [f"{path.parent.name}/{path.name}" for path in paths]
