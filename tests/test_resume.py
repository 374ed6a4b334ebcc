"""A run killed part-way resumes with the same command, to the same results.

The guard (:mod:`hatmeta.runguard`) is tested with real processes holding it; the whole story
by killing a real run of ``hatmeta new``'s review during its fit job (SIGKILL to the run's
process group, as a lost session or a power cut would) and running README's command again.
"""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SNAKEMAKE

from hatmeta.runguard import GUARD, LOCKS, claim

#: A process that holds the guard of the directory it is started in until it is killed.
HOLDER = (
    "import sys, time\n"
    "from hatmeta.runguard import claim\n"
    "held = claim()\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)


def stale_locks(directory: Path) -> list[Path]:
    """Lock files as a killed Snakemake run leaves them."""
    (directory / LOCKS).mkdir(parents=True, exist_ok=True)
    locks = [directory / LOCKS / "0.input.lock", directory / LOCKS / "0.output.lock"]
    for lock in locks:
        lock.write_text("results/fits/all/a/p/summary.csv\n")
    return locks


def holder(directory: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER], cwd=directory, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_dead_runs_lock_is_removed_and_said(tmp_path):
    locks = stale_locks(tmp_path)
    held = claim(tmp_path)
    assert not any(lock.exists() for lock in locks)
    assert "removed Snakemake's lock" in held.message and "0.input.lock" in held.message
    held.handle.close()
    assert claim(tmp_path).message is None  # nothing left to remove


def test_a_live_runs_lock_is_left_alone_until_it_dies(tmp_path):
    live = holder(tmp_path)
    try:
        locks = stale_locks(tmp_path)
        held = claim(tmp_path)
        assert all(lock.exists() for lock in locks)
        assert "another run of this directory is running" in held.message
        held.handle.close()
    finally:
        live.kill()
        live.wait()
    # killed: the kernel released its hold, so its lock is a dead run's
    held = claim(tmp_path)
    assert not any(lock.exists() for lock in locks) and "removed" in held.message


def test_runs_side_by_side_share_the_guard(tmp_path):
    """Two live runs: neither removes the other's lock; a third finds both alive."""
    first, second = holder(tmp_path), holder(tmp_path)
    try:
        locks = stale_locks(tmp_path)
        assert "another run" in claim(tmp_path).message
        first.kill()
        first.wait()
        assert "another run" in claim(tmp_path).message  # the second still runs
        assert all(lock.exists() for lock in locks)
    finally:
        for process in (first, second):
            process.kill()
            process.wait()
    assert (tmp_path / GUARD).is_file()


def _run(review: Path, *args: str) -> subprocess.Popen:
    """README's command for a review in its own directory, in a process group of its own."""
    return subprocess.Popen(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--cores", "2", "--directory", str(review),
         "--config", "review=config.yaml", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def _finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=1800)
    assert process.returncode == 0, output
    return output


def _new_review(directory: Path) -> Path:
    from hatmeta import cli

    assert cli.main(["new", str(directory)]) == 0
    return directory


@pytest.mark.workflow
def test_a_run_killed_during_the_fit_resumes_to_identical_results(tmp_path):
    whole = _new_review(tmp_path / "whole")
    killed = _new_review(tmp_path / "killed")
    _finish(_run(whole))

    run = _run(killed)
    fits = killed / "results" / "fits"
    deadline = time.monotonic() + 900
    # Killed once the fit job has written part of its outputs: a posterior, not yet all.
    while not list(fits.glob("*/*/*/posterior.nc")):
        assert run.poll() is None, run.communicate()[0]
        assert time.monotonic() < deadline, "the fit job did not start"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert list((killed / LOCKS).glob("*.lock")), "the killed run left no lock"
    assert any((killed / ".snakemake" / "incomplete").rglob("*")), "nothing was unfinished"
    assert not (killed / "results/report/report.html").exists()

    output = _finish(_run(killed))
    assert "removed Snakemake's lock left by a run of this directory" in output
    assert "fit" in output
    produced = sorted(p.relative_to(whole) for p in (whole / "results").rglob("*.csv"))
    assert produced == sorted(p.relative_to(killed) for p in (killed / "results").rglob("*.csv"))
    assert any(p.name == "summary.csv" for p in produced)
    differ = [str(p) for p in produced if not filecmp.cmp(whole / p, killed / p, shallow=False)]
    assert differ == [], differ
