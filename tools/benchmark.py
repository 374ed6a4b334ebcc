#!/usr/bin/env python
"""Time the pipeline on this machine and print the numbers quoted in notes and README.

Usage: ``.venv/bin/python tools/benchmark.py [--stage pipeline|grid] [--cores N]
[--baseline REV [--pairs N]]``

* ``pipeline`` (default): the real config in a scratch working directory, as a user meets it:

  1. cold: every rule, with empty caches (numba's and PyTensor's compile caches point at fresh
     directories, as on a fresh clone with the environment installed);
  2. no-op: the same command again, with nothing to do;
  3. one edited scenario: one RIOTT scenario's IMOR changed, from the edit to the updated
     report (only that scenario's jobs, the propagation, figures, report and RIOTT notebook);
  4. warm: ``results/`` removed, caches kept, every rule again.

  Then, from the cold run's job logs: per fit, the draws per chain it needed, its attempts,
  sampling seconds and bulk ESS per second; and for the model-fitting jobs the share of their
  time spent in start-up and imports, compilation and sampling. The cold and warm runs also
  record the CPU seconds (user + sys) of all their jobs: Snakemake runs local jobs as its
  children, so the children's resource usage of the Snakemake process covers every job.
* ``pipeline --baseline REV``: the same on this checkout and on revision ``REV``, on the same
  machine. ``REV`` is checked out in a temporary git worktree with its own environment from its
  own lock file (``tools/bootstrap.sh --extra test`` there); the two alternate (current,
  baseline, current, baseline, ... ``--pairs`` times) so that a machine getting busier or
  quieter affects both alike. Reported: medians of each and their ratio current/baseline, and
  every run's numbers and timelines, in ``benchmarks/out/ab.json`` and ``ab.md``.
* ``grid``: the tipping grid alone, locally and through SLURM (``profiles/slurm`` on a
  single-node cluster started by ``tools/local_slurm.py``; needs root, ``slurm-wlm`` and
  ``munge``), with batching on and off.

Results go to stdout and ``benchmarks/out/benchmark_{stage}.json`` (``ab.json``, ``ab.md`` for
a comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The CPU probe's directory (``tools/cpu_probe/sitecustomize.py``).
PROBE = Path(__file__).resolve().parent / "cpu_probe"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
#: The scenario whose IMOR the "edit" step changes (one the tipping grid does not hold the heroin
#: arm at, so the grid stays as it is), and the new value.
EDITED = {"riott": {"scenarios": {"informative_half": {"imor_methadone": 0.75}}}}


def children_cpu() -> float:
    """User + system CPU seconds of this process's finished (waited-for) descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snakemake(
    workdir: Path,
    args: list[str],
    cores: int,
    env: dict | None = None,
    root: Path = ROOT,
    cpu: dict | None = None,
) -> float:
    """Wall time of one Snakemake run of the checkout ``root`` (stops the benchmark if it
    fails). ``cpu["s"]``, if given, receives the CPU seconds of the run and all its jobs."""
    executable = str(root / ".venv" / "bin" / "snakemake") if root != ROOT else SNAKEMAKE
    before = children_cpu()
    start = time.perf_counter()
    result = subprocess.run(
        [executable, "-s", str(root / "Snakefile"), *args, "--cores", str(cores)],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    if cpu is not None:
        cpu["s"] = children_cpu() - before
    return seconds


def timeline(workdir: Path) -> list[str]:
    """Start and end (seconds after the run's start) of every job of the last run, from
    Snakemake's log: where the wall time goes."""
    log = sorted((workdir / ".snakemake/log").glob("*.snakemake.log"))[-1].read_text()
    stamp = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]$", re.MULTILINE)
    events, current = [], None
    for line in log.splitlines():
        match = stamp.match(line)
        if match:
            current = time.mktime(time.strptime(match.group(1), "%a %b %d %H:%M:%S %Y"))
            continue
        started = re.match(r"^(?:local)?rule (\w+):", line)
        if started and current is not None:
            events.append(("start", started.group(1), current, None))
        job = re.search(r"jobid: (\d+)", line)
        if job and events and events[-1][0] == "start" and events[-1][3] is None:
            events[-1] = (*events[-1][:3], job.group(1))
        finished = re.match(r"^Finished jobid: (\d+) \(Rule: (\w+)\)", line)
        if finished and current is not None:
            events.append(("end", finished.group(2), current, finished.group(1)))
    if not events:
        return []
    origin = min(e[2] for e in events)
    starts = {e[3]: e for e in events if e[0] == "start"}
    rows = []
    for kind, rule, moment, job in events:
        if kind == "end" and job in starts:
            rows.append((starts[job][2] - origin, moment - origin, rule))
    return [f"{s:5.0f} {e:5.0f}  {rule}" for s, e, rule in sorted(rows)]


def workdir_copy(root: Path = ROOT) -> Path:
    """A scratch working directory that sees the checkout's config and data."""
    workdir = Path(tempfile.mkdtemp(prefix="hatmeta-bench-"))
    for name in ("config", "data", "profiles"):
        os.symlink(root / name, workdir / name)
    return workdir


def empty_caches(workdir: Path) -> dict:
    """An environment whose compile caches start empty (and stay, for the warm run): numba's
    and PyTensor's. Python bytecode is compiled when the environment is installed
    (``tools/bootstrap.sh``), so a fresh clone has it too."""
    caches = workdir / "caches"
    return os.environ | {
        "NUMBA_CACHE_DIR": str(caches / "numba"),
        "PYTENSOR_FLAGS": f"base_compiledir={caches / 'pytensor'}",
    }


def probed(env: dict, record: Path) -> dict:
    """``env`` with the CPU probe (``tools/cpu_probe``, the same for both sides of a comparison)
    recording every Python process of a run into ``record``."""
    path = os.pathsep.join(p for p in (str(PROBE), env.get("PYTHONPATH", "")) if p)
    return env | {"PYTHONPATH": path, "HATMETA_CPU_PROBE": str(record)}


def cpu_by_rule(record: Path) -> dict[str, dict]:
    """CPU seconds and jobs per Snakemake rule from a probe record: a job counts with its
    finished children (a notebook kernel), Snakemake's own process as ``snakemake``."""
    entries = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    jobs = {e["pid"] for e in entries if e["rule"]}
    totals: dict[str, dict] = {}
    for e in entries:
        if e["rule"]:
            rule, cpu = e["rule"], e["cpu"] + e["children_cpu"]
        elif e["ppid"] in jobs:
            continue  # a kernel: counted with the job that waited for it
        else:
            rule, cpu = ("snakemake" if e["program"] == "snakemake" else e["program"]), e["cpu"]
        entry = totals.setdefault(rule, {"cpu_s": 0.0, "jobs": 0})
        entry["cpu_s"] = round(entry["cpu_s"] + cpu, 2)
        entry["jobs"] += 1
    return dict(sorted(totals.items(), key=lambda item: -item[1]["cpu_s"]))


def log_values(path: Path) -> dict:
    """Start-up, compile and total seconds, and per-fit timings, from a job's log."""
    text = path.read_text() if path.exists() else ""

    def seconds(pattern: str) -> float | None:
        match = re.search(pattern, text)
        return float(match.group(1)) if match else None

    fits = [json.loads(line) for line in re.findall(r"timing (\{.*\})", text)]
    return {
        "startup_and_imports_s": seconds(r"start-up and imports ([\d.]+) s"),
        "compile_s": seconds(r"compile ([\d.]+) s"),
        "sampling_s": round(sum(f["seconds"] for f in fits), 1),
        "job_s": seconds(r"done in ([\d.]+) s"),
        "fits": fits,
    }


def shares(job: dict) -> dict:
    """Each part's share of a fitting job's wall time (start-up counted in the total)."""
    total = (job["job_s"] or 0) + (job["startup_and_imports_s"] or 0)
    parts = {
        "imports": job["startup_and_imports_s"] or 0,
        "compile": job["compile_s"] or 0,
        "sampling": job["sampling_s"],
    }
    parts["other"] = total - sum(parts.values())
    return {"total_s": round(total, 1)} | {k: round(v / total, 2) for k, v in parts.items()}


def pipeline_times(cores: int, root: Path = ROOT) -> dict:
    """Cold, no-op, one edited scenario and warm runs of the checkout ``root``."""
    workdir = workdir_copy(root)
    env = empty_caches(workdir)

    def run(args: list[str], cpu: dict | None = None, record: Path | None = None) -> float:
        run_env = probed(env, record) if record else env
        return round(snakemake(workdir, args, cores, run_env, root=root, cpu=cpu), 1)

    cpu: dict = {}
    report = {"cold_s": run([], cpu, workdir / "cold.cpu.jsonl"), "cold_cpu_s": round(cpu["s"], 1)}
    report["cold_cpu_by_rule"] = cpu_by_rule(workdir / "cold.cpu.jsonl")
    print(f"{root.name}: cold {report['cold_s']} s", file=sys.stderr)
    report["noop_s"] = run([])
    jobs = {
        "fit": log_values(workdir / "logs/fit.log"),
        "riott_bank": log_values(workdir / "logs/sensitivity/bank.log"),
    }
    (workdir / "edit.yaml").write_text(json.dumps(EDITED))
    report_file = workdir / "results/report/report.html"
    before = report_file.stat().st_mtime
    edit_args = ["--configfile", "config/config.yaml", "edit.yaml"]
    report["edited_scenario_s"] = run(edit_args)
    report["report_updated"] = report_file.stat().st_mtime > before
    report["edit_timeline"] = timeline(workdir)
    shutil.rmtree(workdir / "results")
    report["warm_s"] = run([], cpu, workdir / "warm.cpu.jsonl")
    report["warm_cpu_s"] = round(cpu["s"], 1)
    report["warm_cpu_by_rule"] = cpu_by_rule(workdir / "warm.cpu.jsonl")
    report["warm_timeline"] = timeline(workdir)
    report["jobs"] = {name: shares(job) for name, job in jobs.items()}
    report["fits"] = jobs["fit"]["fits"]
    shutil.rmtree(workdir, ignore_errors=True)
    return report


def grid_times(cores: int) -> dict:
    """Wall time of the tipping grid, locally and through SLURM, batching on and off."""
    sys.path.insert(0, str(ROOT / "tools"))
    import yaml
    from local_slurm import SNAKEMAKE_ARGS, LocalSlurm

    from hatmeta import config as hatconfig
    from hatmeta.riott.grid import batches, cells

    workdir = workdir_copy()
    snakemake(workdir, ["extract"], cores)
    config = hatconfig.load(ROOT / "config" / "config.yaml")
    riott = hatconfig.settings(config).riott
    slurm_args = ["--workflow-profile", str(ROOT / "profiles" / "slurm"), *SNAKEMAKE_ARGS]
    modes = {
        "batching_on": (riott.tipping.cells_per_job, ["--group-components", "riott=8"]),
        "batching_off": (1, ["--group-components", "riott=1"]),
    }
    report: dict = {"cells": len(cells(riott))}
    with LocalSlurm(Path(tempfile.mkdtemp(prefix="hatmeta-bench-slurm-"))) as cluster:
        for mode, (cells_per_job, group_args) in modes.items():
            config["riott"]["tipping"]["cells_per_job"] = cells_per_job
            (workdir / "grid.yaml").write_text(yaml.safe_dump({"riott": config["riott"]}))
            sized = riott._replace(tipping=riott.tipping._replace(cells_per_job=cells_per_job))
            grid_jobs = len(batches(sized))
            config_args = ["--configfile", "config/config.yaml", "grid.yaml"]
            for executor, extra in (
                ("local", []),
                ("slurm", [*slurm_args, *group_args, "--jobs", "100"]),
            ):
                shutil.rmtree(workdir / "results/sensitivity/cells", ignore_errors=True)
                args = ["--until", "riott_cells", *extra, *config_args]
                seconds = snakemake(workdir, args, cores, env=cluster.env)
                report[f"{executor}_{mode}"] = {
                    "cells_per_job": cells_per_job,
                    "grid_jobs": grid_jobs,
                    "seconds": round(seconds, 1),
                }
                print(f"grid {executor} {mode}: {seconds:.1f} s", file=sys.stderr)
        report["slurm_jobs_completed"] = len(cluster.completed_jobs())
    shutil.rmtree(workdir, ignore_errors=True)
    return report


#: The numbers compared between two revisions.
MEASURES = ("cold_s", "warm_s", "noop_s", "edited_scenario_s", "cold_cpu_s", "warm_cpu_s")


def baseline_checkout(rev: str) -> Path:
    """``rev`` in a temporary git worktree with its own environment from its own lock file."""
    path = Path(tempfile.mkdtemp(prefix="hatmeta-baseline-")) / "checkout"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["./tools/bootstrap.sh", "--extra", "test"], cwd=path, check=True, capture_output=True
    )
    return path


def compare(cores: int, rev: str, pairs: int) -> dict:
    """This checkout against ``rev``, alternating, ``pairs`` runs of each."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    current = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    base = baseline_checkout(commit)
    runs: dict[str, list[dict]] = {"current": [], "baseline": []}
    try:
        for _ in range(pairs):
            runs["current"].append(pipeline_times(cores, ROOT))
            runs["baseline"].append(pipeline_times(cores, base))
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base.parent, ignore_errors=True)
    medians = {
        side: {m: statistics.median(r[m] for r in done) for m in MEASURES}
        for side, done in runs.items()
    }
    ratio = {m: round(medians["current"][m] / medians["baseline"][m], 3) for m in MEASURES}
    return {
        "current": current,
        "baseline": commit,
        "pairs": pairs,
        "medians": medians,
        "ratio": ratio,
        "runs": runs,
    }


def markdown(report: dict) -> str:
    """The comparison as a markdown table, then each side's last warm-run timeline."""
    ab = report["ab"]
    labels = {
        "cold_s": "cold (s)",
        "warm_s": "warm (s)",
        "noop_s": "no-op (s)",
        "edited_scenario_s": "one edited scenario (s)",
        "cold_cpu_s": "cold run, CPU of all jobs (s)",
        "warm_cpu_s": "warm run, CPU of all jobs (s)",
    }
    lines = [
        f"Benchmark {report['date']}, {report['cores']} cores of {report['machine_cpus']}, "
        f"{ab['pairs']} alternating pairs; medians.",
        "",
        f"| | current ({ab['current']}) | baseline ({ab['baseline'][:7]}) | current/baseline |",
        "|---|---|---|---|",
    ]
    for m in MEASURES:
        lines.append(
            f"| {labels[m]} | {ab['medians']['current'][m]:g} | "
            f"{ab['medians']['baseline'][m]:g} | {ab['ratio'][m]:.2f} |"
        )
    lines += ["", *rule_table(ab["runs"])]
    for side in ("current", "baseline"):
        lines += [
            "",
            f"Warm run, {side} (last pair): start, end, job",
            "```",
            *ab["runs"][side][-1]["warm_timeline"],
            "```",
        ]
    return "\n".join(lines) + "\n"


def rule_table(runs: dict[str, list[dict]]) -> list[str]:
    """Warm-run CPU per rule, medians over the pairs, current against baseline, with the split
    between the rules both revisions have and those only one has."""

    def per_rule(done: list[dict]) -> dict[str, tuple[float, int]]:
        """Each rule's median CPU seconds and its number of jobs (a rule missing from a run
        counts as 0 s there)."""
        rules = {rule for run in done for rule in run["warm_cpu_by_rule"]}
        empty = {"cpu_s": 0.0, "jobs": 0}
        return {
            rule: (
                statistics.median(r["warm_cpu_by_rule"].get(rule, empty)["cpu_s"] for r in done),
                max(r["warm_cpu_by_rule"].get(rule, empty)["jobs"] for r in done),
            )
            for rule in rules
        }

    current, baseline = per_rule(runs["current"]), per_rule(runs["baseline"])
    none = (0.0, 0)
    both = current.keys() & baseline.keys()
    order = sorted(
        current.keys() | baseline.keys(),
        key=lambda r: -max(current.get(r, none)[0], baseline.get(r, none)[0]),
    )
    lines = [
        "Warm run, CPU seconds per rule (medians; a job with its notebook kernel; Snakemake's",
        "own process as `snakemake`)",
        "",
        "| rule | current (s) | jobs | baseline (s) | jobs |",
        "|---|---|---|---|---|",
    ]
    for rule in order:
        (c, cn), (b, bn) = current.get(rule, none), baseline.get(rule, none)
        lines.append(f"| {rule} | {c:.1f} | {cn} | {b:.1f} | {bn} |")
    shared = [sum(side[r][0] for r in both) for side in (current, baseline)]
    only = sum(v[0] for r, v in current.items() if r not in both)
    gone = sum(v[0] for r, v in baseline.items() if r not in both)
    lines += [
        "",
        f"Rules both have: current {shared[0]:.1f} s, baseline {shared[1]:.1f} s "
        f"(ratio {shared[0] / shared[1]:.2f}); rules only the current revision has: {only:.1f} s; "
        f"only the baseline: {gone:.1f} s.",
    ]
    return lines


def print_pipeline(report: dict) -> None:
    print(
        f"cold {report['cold_s']} s | warm {report['warm_s']} s | no-op {report['noop_s']} s | "
        f"one edited scenario {report['edited_scenario_s']} s "
        f"(report updated: {report['report_updated']}) | CPU of all jobs: cold "
        f"{report['cold_cpu_s']} s, warm {report['warm_cpu_s']} s"
    )
    for name, job in report["jobs"].items():
        print(f"{name}: {job}")
    for run in ("cold", "warm"):
        print(f"{run} run, CPU seconds per rule (jobs):")
        for rule, entry in report[f"{run}_cpu_by_rule"].items():
            print(f"  {rule:<28} {entry['cpu_s']:>7.1f}  ({entry['jobs']})")
    for run in ("warm", "edit"):
        print(f"{run} run, seconds from its start (start, end, job):")
        print("\n".join(report[f"{run}_timeline"]))
    print(f"{'fit':<48} {'prior':<16} {'draws':>6} {'tries':>5} {'s':>6} {'ESS/s':>7}")
    for fit in report["fits"]:
        print(
            f"{fit['fit'][:48]:<48} {fit['prior']:<16} {fit['draws']:>6} {fit['attempts']:>5} "
            f"{fit['seconds']:>6.2f} {fit['ess_bulk_per_second']:>7.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["pipeline", "grid"], default="pipeline")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--baseline", metavar="REV", help="compare with this git revision")
    parser.add_argument("--pairs", type=int, default=2, help="alternating runs of each side")
    args = parser.parse_args()
    report: dict = {"cores": args.cores, "machine_cpus": os.cpu_count(), "date": time.ctime()}
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    if args.baseline:
        if args.stage != "pipeline":
            sys.exit("--baseline compares the pipeline stage only")
        report["ab"] = compare(args.cores, args.baseline, args.pairs)
        (out / "ab.json").write_text(json.dumps(report, indent=2) + "\n")
        (out / "ab.md").write_text(markdown(report))
        print(markdown(report))
        return
    if args.stage == "pipeline":
        report["pipeline"] = pipeline_times(args.cores)
        print_pipeline(report["pipeline"])
    else:
        report["grid"] = grid_times(args.cores)
        print(json.dumps(report["grid"], indent=2))
    (out / f"benchmark_{args.stage}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
