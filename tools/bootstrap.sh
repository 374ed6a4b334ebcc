#!/usr/bin/env bash
# Create .venv from uv.lock with a Python 3.12 interpreter, from scratch if need be.
# Idempotent: a second run finds the pinned uv where the first put it and only checks that the
# environment matches the lock file (about a second); a changed uv.lock, pyproject.toml or
# --extra re-syncs exactly, and a missing or broken .venv is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

UV_VERSION="0.13.9"
# The pinned uv lives inside the project (git-ignored), installed with pip's --target: that works
# with any Python 3.12, also a system one whose pip refuses --user (PEP 668).
UV_HOME=".tools/uv-$UV_VERSION"
export UV_PYTHON_DOWNLOADS=never

# Prints the interpreter's own executable, symlinks resolved, if it is Python 3.12. A pyenv shim
# or a symlink on PATH is not the interpreter the environment records, and uv removes and
# recreates an environment whose interpreter is not the one requested ("does not satisfy the
# request"), so uv is always given this path.
real_python312() {
    "$1" -c 'import os, sys
if sys.version_info[:2] == (3, 12): print(os.path.realpath(sys.executable))' 2>/dev/null
}

find_python312() {
    local candidate found
    for candidate in "${HATMETA_PYTHON:-}" python3.12 python3; do
        [ -n "$candidate" ] || continue
        found=$(real_python312 "$candidate") && [ -n "$found" ] && { echo "$found"; return 0; }
    done
    # pyenv installs 3.12 without putting it on PATH when another version is the default.
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/3.12*/bin/python3.12; do
            found=$(real_python312 "$candidate") && [ -n "$found" ] && { echo "$found"; return 0; }
        done
    fi
    return 1
}

if ! PYTHON312=$(find_python312); then
    echo "bootstrap: Python 3.12 not found. Install it (e.g. 'pyenv install 3.12') or set HATMETA_PYTHON=/path/to/python3.12" >&2
    exit 1
fi

uv_version() { "$1" --version 2>/dev/null | cut -d' ' -f2; }
UV=""
for candidate in "$UV_HOME/bin/uv" "$(command -v uv || true)"; do
    if [ -n "$candidate" ] && [ "$(uv_version "$candidate")" = "$UV_VERSION" ]; then
        UV=$candidate
        break
    fi
done
if [ -z "$UV" ]; then
    echo "bootstrap: installing uv $UV_VERSION into $UV_HOME" >&2
    rm -rf "$UV_HOME"
    "$PYTHON312" -m pip install --quiet --disable-pip-version-check --target "$UV_HOME" "uv==$UV_VERSION"
    UV="$UV_HOME/bin/uv"
fi

# An environment that matches the lock file (and the --extra asked for) is left as it is: the
# check takes a tenth of a second, where a sync would re-check the bytecode of every file.
# Otherwise sync exactly. Bytecode is compiled at install time: with PYTHONDONTWRITEBYTECODE set
# (as on some machines) Python would otherwise compile every imported module from source in
# every workflow job.
if "$UV" sync --quiet --locked --check --python "$PYTHON312" "$@" 2>/dev/null; then
    echo "bootstrap: .venv matches uv.lock" >&2
else
    "$UV" sync --locked --compile-bytecode --python "$PYTHON312" "$@"
fi
.venv/bin/python -m compileall -q src
echo "bootstrap: environment ready in $((SECONDS - started)) s" >&2
