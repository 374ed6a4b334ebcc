#!/usr/bin/env python
"""Time the expensive stages on this machine and print the numbers quoted in notes.

Usage: ``.venv/bin/python tools/benchmark.py [--stage models|riott|all] [--cores N]``

* ``models``: the whole modelling stage (every analysis x prior x leave-one-out) through
  Snakemake, cold (first run in a fresh results directory) and warm (re-run after deleting the
  fit outputs; the compile caches of PyTensor/numba are then warm), plus an in-process
  breakdown: import, compile and per-fit sampling time.
* ``riott``: the RIOTT scenarios and tipping grid through Snakemake, cold and warm.

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


def snakemake(workdir: Path, targets: list[str], cores: int) -> float:
    start = time.perf_counter()
    subprocess.run(
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
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
    from hatmeta import config as hatconfig
    from hatmeta import modelling, tables

    cfg = hatconfig.load(ROOT / "config" / "config.yaml")
    cfg["data"] = {k: str(ROOT / v) for k, v in cfg["data"].items()}
    built = tables.build_tables(cfg)
    imported = time.perf_counter() - start
    prior = cfg["priors"]["primary"]
    out = Path(tempfile.mkdtemp(prefix="hatmeta-bench-fits-"))
    start = time.perf_counter()
    stage = modelling.run_prior(cfg, prior, built["analyses"], out)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["models", "riott", "all"], default="all")
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
    shutil.rmtree(workdir, ignore_errors=True)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
