#!/usr/bin/env python
"""Time the expensive stages on this machine and print the numbers quoted in notes.

Usage: ``.venv/bin/python tools/benchmark.py [--stage models|riott|grid|all] [--cores N]``

* ``models``: the whole modelling stage (every analysis x prior x leave-one-out) through
  Snakemake, cold (first run in a fresh results directory) and warm (re-run after deleting the
  fit outputs; the compile caches of PyTensor/numba are then warm), plus an in-process
  breakdown: import, compile and per-fit sampling time.
* ``riott``: the RIOTT scenarios and tipping grid through Snakemake, cold and warm.
* ``grid``: the tipping grid alone (every batch of every heroin-arm scenario), locally and
  through SLURM (``profiles/slurm`` on a single-node cluster started in a temporary directory by
  ``tools/local_slurm.py``; needs root, ``slurm-wlm`` and ``munge``), each with batching on
  (``cells_per_job`` from the config, scenario jobs grouped) and off (one cell per job, no
  grouping). Not part of ``all``: it runs a few hundred jobs.

Results go to stdout and ``benchmarks/out/benchmark.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def snakemake(workdir: Path, targets: list[str], cores: int, env: dict | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        # Targets first: --quiet takes a list and would swallow them.
        [
            SNAKEMAKE,
            "-s",
            str(ROOT / "Snakefile"),
            *targets,
            "--cores",
            str(cores),
            "--quiet",
            "all",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        sys.exit(f"snakemake {' '.join(targets)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - start


def workdir_copy() -> Path:
    """A scratch working directory that sees the repository's config and data."""
    workdir = Path(tempfile.mkdtemp(prefix="hatmeta-bench-"))
    for name in ("config", "data", "profiles"):
        os.symlink(ROOT / name, workdir / name)
    return workdir


def stage_times(workdir: Path, targets: list[str], clear: list[str], cores: int) -> dict:
    cold = snakemake(workdir, targets, cores)
    for path in clear:
        shutil.rmtree(workdir / path, ignore_errors=True)
    warm = snakemake(workdir, targets, cores)
    return {"cold_seconds": round(cold, 1), "warm_seconds": round(warm, 1)}


def in_process_breakdown() -> dict:
    """Import, compile and per-fit sampling time of one prior's fits, in this process."""
    start = time.perf_counter()
    from hatmeta import layout
    from hatmeta.bayes.stage import run_prior
    from hatmeta.config import load_settings
    from hatmeta.data.tables import build_tables

    settings = load_settings(ROOT / "config" / "config.yaml")
    data = settings.data
    built = build_tables(ROOT / data.extraction, ROOT / data.bibliography, settings.extract)
    imported = time.perf_counter() - start
    prior = next(iter(settings.priors))
    out = Path(tempfile.mkdtemp(prefix="hatmeta-bench-fits-"))
    outputs = {
        key: layout.FitFiles(*(str(out / p) for p in layout.fit_files(*key, prior)))
        for key in built["analyses"]
    }
    start = time.perf_counter()
    stage = run_prior(settings.model, settings.prior(prior), built["analyses"], outputs)
    total = time.perf_counter() - start
    fits = sum(t["fits"] for t in stage.timings)
    sampling = sum(t["seconds"] for t in stage.timings)
    compile_seconds = stage.runner.compile_seconds or 0.0
    return {
        "prior": prior,
        "import_and_extract_seconds": round(imported, 1),
        "compile_seconds": round(compile_seconds, 1),
        "fits": fits,
        "sampling_seconds": round(sampling - compile_seconds, 1),
        "seconds_per_fit": round((sampling - compile_seconds) / max(fits, 1), 2),
        "stage_seconds": round(total, 1),
    }


def grid_times(workdir: Path, cores: int) -> dict:
    """Wall time of the tipping grid, locally and through SLURM, batching on and off."""
    sys.path.insert(0, str(ROOT / "tools"))
    import yaml
    from local_slurm import SNAKEMAKE_ARGS, LocalSlurm

    from hatmeta import config as hatconfig
    from hatmeta.riott.grid import tipping_batches, tipping_cells

    config = hatconfig.load(ROOT / "config" / "config.yaml")
    tipping = hatconfig.settings(config).riott.tipping
    batched = tipping.cells_per_job
    slurm_args = ["--workflow-profile", str(ROOT / "profiles" / "slurm"), *SNAKEMAKE_ARGS]
    modes = {
        "batching_on": (batched, ["--group-components", "riott=8"]),
        "batching_off": (1, ["--group-components", "riott=1"]),
    }
    heroin_scenarios = len(tipping.heroin_scenarios)
    report: dict = {"cells": len(tipping_cells(tipping)) * heroin_scenarios}
    with LocalSlurm(Path(tempfile.mkdtemp(prefix="hatmeta-bench-slurm-"))) as cluster:
        for mode, (cells_per_job, group_args) in modes.items():
            config["riott"]["tipping"]["cells_per_job"] = cells_per_job
            (workdir / "grid.yaml").write_text(yaml.safe_dump({"riott": config["riott"]}))
            sized = tipping._replace(cells_per_job=cells_per_job)
            grid_jobs = len(tipping_batches(sized)) * heroin_scenarios
            config_args = ["--configfile", "config/config.yaml", "grid.yaml"]
            for executor, extra in (
                ("local", []),
                ("slurm", [*slurm_args, *group_args, "--jobs", "100"]),
            ):
                shutil.rmtree(workdir / "results/sensitivity/tipping", ignore_errors=True)
                seconds = snakemake(
                    workdir,
                    ["--until", "riott_grid", *extra, *config_args],
                    cores,
                    env=cluster.env,
                )
                report[f"{executor}_{mode}"] = {
                    "cells_per_job": cells_per_job,
                    "grid_jobs": grid_jobs,
                    "seconds": round(seconds, 1),
                }
                print(f"grid {executor} {mode}: {seconds:.1f} s", file=sys.stderr)
        report["slurm_jobs_completed"] = len(cluster.completed_jobs())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["models", "riott", "grid", "all"], default="all")
    parser.add_argument("--cores", type=int, default=4)
    args = parser.parse_args()
    report: dict = {"cores": args.cores, "machine_cpus": os.cpu_count()}
    workdir = workdir_copy()
    snakemake(workdir, ["extract"], args.cores)
    if args.stage in ("models", "all"):
        report["models"] = stage_times(workdir, ["--until", "fit"], ["results/fits"], args.cores)
        report["models_breakdown"] = in_process_breakdown()
    if args.stage in ("riott", "all"):
        report["riott"] = stage_times(
            workdir,
            ["--until", "riott_pooled"],
            ["results/sensitivity"],
            args.cores,
        )
    if args.stage == "grid":
        report["grid"] = grid_times(workdir, args.cores)
    shutil.rmtree(workdir, ignore_errors=True)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
