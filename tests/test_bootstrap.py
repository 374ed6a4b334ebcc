"""tools/bootstrap.sh sets up once: a second call in a fresh copy reinstalls nothing, and a
changed lock file re-syncs exactly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.setup


def fresh_copy(dest: Path) -> Path:
    """The tracked files as they are in the work tree (what a clone of this change holds)."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def bootstrap(project: Path) -> tuple[float, str]:
    """Run the set-up as `make setup` does; its wall time and everything it printed."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    start = time.perf_counter()
    result = subprocess.run(
        ["bash", "tools/bootstrap.sh", "--extra", "test", "--extra", "docs"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return seconds, output


def environment_identity(project: Path) -> dict:
    """What a recreated environment would change: its config file and interpreter link."""
    cfg, python = project / ".venv" / "pyvenv.cfg", project / ".venv" / "bin" / "python"
    return {
        "pyvenv.cfg": (cfg.stat().st_ino, cfg.stat().st_mtime_ns, cfg.read_text()),
        "bin/python": (python.lstat().st_ino, python.lstat().st_mtime_ns, os.readlink(python)),
    }


def drop_test_tool(project: Path, name: str) -> None:
    """Remove one package of the `test` extra from pyproject.toml and uv.lock together, as
    `uv lock` would after the same edit (a consistent lock change that needs no network)."""
    pyproject = project / "pyproject.toml"
    text, count = re.subn(rf'\n    "{name}[<>=][^\n]*', "", pyproject.read_text())
    assert count == 1
    pyproject.write_text(text)
    lock = (project / "uv.lock").read_text()
    for pattern in (
        rf'\n    \{{ name = "{name}" \}},',
        rf'\n    \{{ name = "{name}", marker = "extra == \'test\'"[^\n]*',
        rf'\n\[\[package\]\]\nname = "{name}"\n.*?\n(?=\n)',
    ):
        lock, count = re.subn(pattern, "", lock, count=1, flags=re.DOTALL)
        assert count == 1, pattern
    (project / "uv.lock").write_text(lock)


def test_second_setup_reinstalls_nothing_and_a_lock_change_resyncs(tmp_path):
    project = fresh_copy(tmp_path / "clone")

    first_seconds, first = bootstrap(project)
    assert "installing uv" in first  # a fresh copy has no pinned uv of its own yet
    assert (project / ".venv" / "bin" / "ruff").exists()
    before = environment_identity(project)

    second_seconds, second = bootstrap(project)
    assert "installing uv" not in second, second
    for word in ("Creating virtual environment", "Removed virtual environment", "Installed"):
        assert word not in second, second
    assert environment_identity(project) == before
    assert second_seconds <= 10, f"second set-up took {second_seconds:.1f} s:\n{second}"

    drop_test_tool(project, "ruff")
    _, third = bootstrap(project)
    assert re.search(r"^ - ruff==", third, re.MULTILINE), third
    assert not (project / ".venv" / "bin" / "ruff").exists()
    assert "Creating virtual environment" not in third, third
    print(f"set-up: first {first_seconds:.1f} s, second {second_seconds:.1f} s")
