#!/usr/bin/env bash
# Create .venv with the locked dependencies (uv.lock). Usage: scripts/setup.sh [--dev]
# Needs only python3 (3.11+) and network access to PyPI. Byte-compiles, so that each command
# starts fast even where Python cannot write its caches.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "installing uv (the package manager that reads uv.lock)..." >&2
  python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.8" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --user "uv==0.13.8"
fi
if [ "${1:-}" = "--dev" ]; then
  python3 -m uv sync --frozen --quiet --compile-bytecode
else
  python3 -m uv sync --frozen --quiet --no-dev --compile-bytecode
fi
