#!/usr/bin/env bash
# The whole test suite: set-up if needed, then lint, types, import contracts and tests. CI runs
# exactly this. Arguments go to pytest: `scripts/test.sh -m "not integration"` is the fast path
# (everything but the tests that start real processes).
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS_SETUP_TEST=1 bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
