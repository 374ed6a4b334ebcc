#!/usr/bin/env bash
# Create .venv from uv.lock with a Python 3.12 interpreter, from scratch if need be.
# Idempotent: a second run only checks that the environment matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION="0.13.9"
export UV_PYTHON_DOWNLOADS=never

find_python312() {
    local candidate
    for candidate in "${HATMETA_PYTHON:-}" python3.12 python3; do
        [ -n "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    # pyenv installs 3.12 without putting it on PATH when another version is the default.
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/3.12*/bin/python3.12; do
            if [ -x "$candidate" ]; then
                echo "$candidate"
                return 0
            fi
        done
    fi
    return 1
}

if ! PYTHON312=$(find_python312); then
    echo "bootstrap: Python 3.12 not found. Install it (e.g. 'pyenv install 3.12') or set HATMETA_PYTHON=/path/to/python3.12" >&2
    exit 1
fi

if [ "$(uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "bootstrap: installing uv $UV_VERSION" >&2
    "$PYTHON312" -m pip install --quiet --user "uv==$UV_VERSION"
    export PATH="$("$PYTHON312" -m site --user-base)/bin:$PATH"
fi

# Bytecode is compiled at install time: with PYTHONDONTWRITEBYTECODE set (as on some machines)
# Python would otherwise compile every imported module from source in every workflow job.
uv sync --locked --compile-bytecode --python "$PYTHON312" "$@"
.venv/bin/python -m compileall -q src
