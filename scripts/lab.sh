#!/usr/bin/env bash
# Open the course in JupyterLab:   bash scripts/lab.sh [--no-browser] [--port 8899] [...]
# Creates/refreshes .venv on the first run (or when the pins change), then starts
# `jupyter lab course/` with extra arguments passed through. The notebooks use the in-memory
# cluster unless LABKIT_CLUSTER says otherwise (e.g. LABKIT_CLUSTER=kind).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv
export LABKIT_CLUSTER="${LABKIT_CLUSTER:-mini}"
cd "$LABKIT_ROOT"
# Jupyter refuses to start as root (a container, a fresh VM) without this flag.
if [ "$(id -u)" = 0 ]; then
    set -- --allow-root "$@"
fi
if [ -d course ]; then
    exec jupyter lab course/ "$@"
fi
say "course/ does not exist yet: opening the repository root instead"
exec jupyter lab "$@"
