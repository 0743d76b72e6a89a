#!/usr/bin/env bash
# Set everything up and measure a git repository on the embedded SQLite store.
# Usage: scripts/quickstart.sh [PATH [dorameter analyze options...]]
# Without PATH it measures this checkout, every commit on its current branch a deployment.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh"
if [ $# -eq 0 ]; then
  exec "$here/.venv/bin/dorameter" analyze "$here" --deploy-branch HEAD --service dorameter
fi
exec "$here/.venv/bin/dorameter" analyze "$@"
