#!/usr/bin/env bash
# Run every test:   bash scripts/test.sh [extra pytest args, e.g. -x -k store]
# Creates/refreshes .venv, installs Debian's chromium + chromium-driver for the browser test
# (as root, only when missing), then runs ONE pytest over tests/ and, when course/ holds
# notebooks, over course/ with strict nbval (every stored output is compared).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv
cd "$LABKIT_ROOT"

# The browser test drives Debian's Chromium (never `playwright install`: no downloaded browsers).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if ! apt_install chromium chromium-driver; then
        say "WARNING: /usr/bin/chromium or /usr/bin/chromedriver is missing and could not be installed"
        say "         (not root, or apt failed). Install them with:"
        say "             sudo apt-get install --no-install-recommends chromium chromium-driver"
        say "         The browser test will FAIL until then (it is not skipped)."
    fi
fi

args=(tests/)
if [ -d course ] && [ -n "$(find course -name '*.ipynb' -not -path '*/.*' -print -quit)" ]; then
    # --nbval-current-env: run the notebooks with this venv's python, whatever kernel they name.
    args+=(course/ --nbval --nbval-current-env)
    if [ -f course/nbval-sanitize.cfg ]; then
        args+=(--nbval-sanitize-with course/nbval-sanitize.cfg)
    fi
else
    say "course/ has no notebooks yet: running tests/ only"
fi

export LABKIT_CLUSTER="${LABKIT_CLUSTER:-mini}"
say "python -m pytest $(printf '%q ' "${args[@]}" "$@")"
status=0
python -m pytest "${args[@]}" "$@" || status=$?
if [ "$status" = 5 ]; then
    say "error: pytest ran no tests (tests/ must have tests; check -k/-m filters)"
fi
exit "$status"
