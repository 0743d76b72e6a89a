#!/usr/bin/env bash
# Set everything up and run dorameter on the embedded SQLite store.
#   scripts/quickstart.sh                  the demo organisation: generate it, print its report
#   scripts/quickstart.sh PATH [options]   measure the git repository at PATH (dorameter analyze)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh"
if [ $# -eq 0 ]; then
  exec "$here/.venv/bin/dorameter" demo
fi
exec "$here/.venv/bin/dorameter" analyze "$@"
