#!/usr/bin/env bash
# Run the benchmarks:   bash scripts/bench.sh [args for python -m benchmarks]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv
cd "$LABKIT_ROOT"
if [ ! -f benchmarks/__main__.py ]; then
    say "benchmarks/__main__.py does not exist yet: nothing to run"
    exit 0
fi
exec python -m benchmarks "$@"
