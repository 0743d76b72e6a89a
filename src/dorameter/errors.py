"""One exception tree for everything dorameter expects to go wrong.

    DorameterError
     ├── UsageError            the user asked for something malformed (exit code 2)
     │    └── InvalidInput     a date, duration, pattern or value that cannot be parsed
     ├── SourceError           an outside source failed or is not what it claims to be
     │    ├── NotARepository   a path that is not a git repository
     │    ├── GitFailed        git itself reported an error
     │    └── ApiError         a GitHub or GitLab API refused or failed a request
     │         ├── ApiUnauthorized   401: the token is missing, wrong or expired
     │         ├── ApiForbidden      403: the token lacks a scope or access
     │         ├── ApiNotFound       404: no such repository, or the token cannot see it
     │         └── ApiUnavailable    5xx or network errors that outlasted every retry
     ├── StoreError            the database cannot be opened, migrated or written
     ├── NotifyFailed          a webhook refused the digest, or was unreachable after retries
     ├── NotFound              a named record (deployment, incident, ...) does not exist
     └── AlreadyRunning        another process is syncing the same scope right now

Each edge (CLI, web) turns these into one clear message; anything else is a bug.
"""


class DorameterError(Exception):
    """Base of every expected failure; the message says what to do next."""

    exit_code = 1


class UsageError(DorameterError):
    """The request itself is malformed."""

    exit_code = 2


class InvalidInput(UsageError):
    """A value (date, duration, pattern, field) could not be understood."""


class SourceError(DorameterError):
    """An outside source of delivery data failed."""


class NotARepository(SourceError):
    """The given path is not a git repository."""


class GitFailed(SourceError):
    """git exited with an error."""


class ApiError(SourceError):
    """A platform API (GitHub, GitLab) refused or failed a request."""

    status: int | None = None  # the HTTP status of the refusal, when the API answered


class ApiUnauthorized(ApiError):
    """The API rejected the credentials (HTTP 401)."""


class ApiForbidden(ApiError):
    """The credentials lack a permission (HTTP 403 that is not a rate limit)."""


class ApiNotFound(ApiError):
    """The API says the resource does not exist or is hidden from the token (HTTP 404)."""


class ApiUnavailable(ApiError):
    """Server errors or network failures continued after every retry."""


class StoreError(DorameterError):
    """The store cannot be opened, migrated or written."""


class NotifyFailed(DorameterError):
    """A webhook refused a notification or could not be reached after every retry."""


class NotFound(DorameterError):
    """A record that was referred to does not exist."""


class AlreadyRunning(DorameterError):
    """Another process is syncing the same scope right now; this run left it alone."""
