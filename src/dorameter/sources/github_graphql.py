"""GitHub GraphQL: the queries the GitHub source sends and their nodes -> model objects.

GraphQL brings a page of 50 pull requests with their commits, reviews, labels and ready-for-
review time in one request, where REST needs three requests per pull request; releases with the
commit their tag points at; tags with their dates. Nodes are reshaped into the REST objects
github_objects converts, so one set of rules applies to the API sync and to webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from dorameter.model import PullRequest, PullRequestCommit, Review
from dorameter.sources.fields import Fields
from dorameter.sources.github_objects import (
    pull_request_commit_from_github,
    pull_request_from_github,
    review_from_github,
)

PULL_REQUEST_PAGE = 50
COMMIT_PAGE = 100
REVIEW_PAGE = 50

_ACTOR = "author { __typename login }"
_COMMITS = """
  totalCount pageInfo { hasNextPage endCursor }
  nodes { commit { oid authoredDate messageHeadline } }
"""
_REVIEWS = f"""
  pageInfo {{ hasNextPage endCursor }}
  nodes {{ databaseId state submittedAt {_ACTOR} }}
"""

PULL_REQUESTS = f"""
query PullRequests($owner: String!, $name: String!, $first: Int!, $after: String) {{
  repository(owner: $owner, name: $name) {{
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        number title url state isDraft createdAt updatedAt mergedAt closedAt
        baseRefName headRefName additions deletions changedFiles
        {_ACTOR}
        mergeCommit {{ oid }}
        labels(first: 30) {{ nodes {{ name }} }}
        timelineItems(first: 1, itemTypes: [READY_FOR_REVIEW_EVENT]) {{
          nodes {{ ... on ReadyForReviewEvent {{ createdAt }} }}
        }}
        commits(first: {COMMIT_PAGE}) {{ {_COMMITS} }}
        reviews(first: {REVIEW_PAGE}) {{ {_REVIEWS} }}
      }}
    }}
  }}
}}
"""

MORE_COMMITS = f"""
query PullRequestCommits($owner: String!, $name: String!, $number: Int!, $after: String) {{
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{ commits(first: {COMMIT_PAGE}, after: $after) {{ {_COMMITS} }} }}
  }}
}}
"""

MORE_REVIEWS = f"""
query PullRequestReviews($owner: String!, $name: String!, $number: Int!, $after: String) {{
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{ reviews(first: {REVIEW_PAGE}, after: $after) {{ {_REVIEWS} }} }}
  }}
}}
"""

RELEASES = """
query Releases($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    releases(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { databaseId tagName isDraft isPrerelease createdAt publishedAt tagCommit { oid } }
    }
  }
}
"""

TAGS = """
query Tags($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    refs(refPrefix: "refs/tags/", first: $first, after: $after,
         orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        name
        target {
          __typename oid
          ... on Commit { committedDate }
          ... on Tag { tagger { date } target { __typename oid ... on Commit { committedDate } } }
        }
      }
    }
  }
}
"""


def actor_login(node: Any) -> str | None:
    """GraphQL names apps without REST's "[bot]" suffix; add it so bot patterns match both."""
    if not isinstance(node, Mapping) or not isinstance(node.get("login"), str):
        return None
    login = str(node["login"])
    return f"{login}[bot]" if node.get("__typename") == "Bot" else login


def _user(node: Any) -> dict[str, str] | None:
    login = actor_login(node)
    return None if login is None else {"login": login}


def pull_request_from_node(node: Mapping[str, Any], repository: str) -> PullRequest:
    """A pull request node, with its ready-for-review time and earliest commit when known."""
    fields = Fields(node, "GitHub pull request")
    rest = {
        "number": node.get("number"),
        "title": node.get("title"),
        "html_url": node.get("url"),
        "state": "open" if node.get("state") == "OPEN" else "closed",
        "draft": node.get("isDraft"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "merged_at": node.get("mergedAt"),
        "closed_at": node.get("closedAt"),
        "merge_commit_sha": fields.get("mergeCommit.oid"),
        "base": {"ref": node.get("baseRefName")},
        "head": {"ref": node.get("headRefName")},
        "additions": node.get("additions"),
        "deletions": node.get("deletions"),
        "changed_files": node.get("changedFiles"),
        "labels": fields.get("labels.nodes", []),
        "user": _user(node.get("author")),
    }
    pull_request = pull_request_from_github(rest, repository)
    ready = fields.get("timelineItems.nodes", [])
    ready_at = Fields(ready[0], "GitHub ready event").instant("createdAt") if ready else None
    return replace(pull_request, ready_at=ready_at)


def commits_from_nodes(
    nodes: list[Mapping[str, Any]], pull_request: str
) -> list[PullRequestCommit]:
    return [
        pull_request_commit_from_github(
            {
                "sha": Fields(node, "GitHub commit").get("commit.oid"),
                "commit": {
                    "author": {"date": Fields(node, "GitHub commit").get("commit.authoredDate")},
                    "message": Fields(node, "GitHub commit").get("commit.messageHeadline", ""),
                },
            },
            pull_request,
        )
        for node in nodes
    ]


def reviews_from_nodes(nodes: list[Mapping[str, Any]], pull_request: str) -> list[Review]:
    reviews = (
        review_from_github(
            {
                "id": node.get("databaseId"),
                "state": node.get("state"),
                "submitted_at": node.get("submittedAt"),
                "user": _user(node.get("author")),
            },
            pull_request,
        )
        for node in nodes
    )
    return [review for review in reviews if review is not None]


def first_commit_at(commits: list[PullRequestCommit]) -> datetime | None:
    return min((commit.author_time for commit in commits), default=None)


def release_from_node(node: Mapping[str, Any]) -> dict[str, Any]:
    """A release node as the REST object deployment_from_github_release reads."""
    return {
        "id": node.get("databaseId"),
        "tag_name": node.get("tagName"),
        "draft": node.get("isDraft"),
        "prerelease": node.get("isPrerelease"),
        "created_at": node.get("createdAt"),
        "published_at": node.get("publishedAt"),
    }


def tag_from_node(node: Mapping[str, Any]) -> tuple[str, str, datetime] | None:
    """(name, commit sha, tagged at) of a tag ref: the tagger date of an annotated tag, the
    commit date of a lightweight one; None for a tag of something other than a commit."""
    fields = Fields(node, "GitHub tag")
    target = fields.require("target")
    if target.get("__typename") == "Commit":
        return (
            fields.text("name"),
            fields.text("target.oid"),
            fields.instant("target.committedDate"),
        )
    if target.get("__typename") == "Tag" and fields.get("target.target.__typename") == "Commit":
        when = fields.first_instant("target.tagger.date", "target.target.committedDate")
        return fields.text("name"), fields.text("target.target.oid"), when
    return None


def tag_commit_date(node: Mapping[str, Any]) -> datetime | None:
    """The date GitHub orders tags by (their commit's), to stop reading at old ones."""
    fields = Fields(node, "GitHub tag")
    for path in ("target.committedDate", "target.target.committedDate"):
        if fields.get(path):
            return fields.instant(path)
    return None
