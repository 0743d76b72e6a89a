"""The GraphQL queries the GitHub source sends (see github_graphql for why and how)."""

from __future__ import annotations

PAGE = 100  # releases and tags
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
