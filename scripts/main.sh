#!/usr/bin/env bash
# The main job: set-up if needed, then `harness run smoke` on the local target (stack up, load,
# a payment fault, SLO and analysis verdicts, report in reports/latest/). Other arguments are
# passed to `harness run`, e.g. `scripts/main.sh payment-abort --keep-up`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/harness run "${@:-smoke}"
