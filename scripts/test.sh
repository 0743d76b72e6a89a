#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, and pytest on SQLite and PostgreSQL.
# PostgreSQL: uses DORAMETER_TEST_POSTGRES_URL when set; otherwise starts a private server
# from the installed PostgreSQL binaries (Debian: apt-get install postgresql); if there are
# none, the PostgreSQL variants of the tests are skipped and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
source scripts/postgres.sh
if [ -z "${DORAMETER_TEST_POSTGRES_URL:-}" ]; then
  start_private_postgres || echo "no PostgreSQL binaries found: PostgreSQL tests will be skipped" >&2
fi
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
.venv/bin/pytest -q -n 2 "$@"
