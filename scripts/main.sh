#!/usr/bin/env bash
# The main job: set-up if needed, then the sample system end to end on the local target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/harness "${@:-demo}"
