#!/usr/bin/env bash
# The whole test suite: set-up if needed, then lint, types and tests. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS_SETUP_TEST=1 bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
