"""The SLURM workflow profile, run for real: a single-node SLURM (controller and compute daemon
on loopback, MUNGE authentication) started by the test in a temporary directory.

Needs Debian's ``slurm-wlm`` and ``munge`` and root (``.ci/run`` installs them). Where SLURM
cannot start, the test is skipped and the reason is printed; with ``HATMETA_REQUIRE_SLURM=1``
(set by ``.ci/run``) it fails instead, so CI cannot pass without running it.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SMALL_CONFIG_ARGS, project_workdir, snakemake

sys.path.insert(0, str(ROOT / "tools"))
from local_slurm import SNAKEMAKE_ARGS, LocalSlurm, SlurmUnavailable

PROFILE = ROOT / "profiles" / "slurm"
#: Results that legitimately differ between two runs: NetCDF files carry their creation time,
#: and the report and executed notebooks embed the run's config and execution times.
RUN_SPECIFIC_SUFFIXES = {".nc", ".html", ".ipynb"}
#: The config each notebook was executed with (results/notebooks/{notebook}.config.yaml): the
#: run's config, so it differs where the runs' configs do (here riott/tipping/cells_per_job).
RUN_CONFIG = ".config.yaml"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        cluster = LocalSlurm(tmp_path_factory.mktemp("slurm")).start()
    except SlurmUnavailable as error:
        if os.environ.get("HATMETA_REQUIRE_SLURM") == "1":
            pytest.fail(f"SLURM is required here but could not start: {error}")
        pytest.skip(f"SLURM could not start, so the SLURM profile was not tested: {error}")
    yield cluster
    cluster.stop()


def compared_results(workdir: Path) -> dict[str, bytes]:
    """Every result file but the run-specific ones and the cell batches (whose size differs
    between the two runs by design; the joined cells are compared)."""
    results = workdir / "results"
    return {
        str(path.relative_to(results)): path.read_bytes()
        for path in sorted(results.rglob("*"))
        if path.is_file()
        and path.suffix not in RUN_SPECIFIC_SUFFIXES
        and not path.name.endswith(RUN_CONFIG)
        and path.parent.name != "cells"
    }


@pytest.mark.workflow
@pytest.mark.slurm
def test_pipeline_through_slurm_equals_the_local_run(cluster, small_run, tmp_path):
    # Batches of 3 cells here, one batch of all 29 in the local run: the joined cells and
    # everything after them must not depend on the batch size.
    batches = tmp_path / "batches.yaml"
    batches.write_text(yaml.safe_dump({"riott": {"tipping": {"cells_per_job": 3}}}))
    workdir = project_workdir(tmp_path / "run")
    started = time.monotonic()
    result = snakemake(
        *SMALL_CONFIG_ARGS,
        str(batches),
        "--workflow-profile",
        str(PROFILE),
        *SNAKEMAKE_ARGS,
        # All scenario and cell jobs in one cluster job.
        "--group-components",
        "riott=20",
        "--jobs",
        "4",
        "--cores",
        str(cluster.cpus),
        cwd=workdir,
        env=cluster.env,
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr

    # Every job went through SLURM, and SLURM's own job-completion log records it as done.
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", output)
    assert submitted, output
    completed = {job["JobId"]: job["JobState"] for job in cluster.completed_jobs()}
    for job_id, _ in submitted:
        assert completed.get(job_id) == "COMPLETED", (job_id, completed)
    assert "Job stats:" in output and "Finished jobid" in output

    # The scenarios and the 10 cell batches ran as one cluster job (group "riott").
    group_jobs = [log for _, log in submitted if "group_riott" in log]
    assert len(group_jobs) == 1, submitted
    riott_logs = sorted(p.name for p in (workdir / "logs/sensitivity").glob("*.log"))
    assert {"cells_0.log", "cells_9.log"} <= set(riott_logs)

    local = compared_results(small_run)
    through_slurm = compared_results(workdir)
    assert set(through_slurm) == set(local)
    assert len(local) > 100 and "sensitivity/cells.csv" in local
    differing = [name for name in local if local[name] != through_slurm[name]]
    assert not differing, f"differ from the local run: {differing}"
    print(f"SLURM run: {len(submitted)} cluster jobs in {elapsed:.0f} s")
