#!/usr/bin/env python
"""Do the fits reach their targets whatever the seed? The real config's fits under several seeds.

Usage: ``.venv/bin/python tools/robustness.py [--seeds 5] [--config config/config.yaml]``

For each seed (the config's seed, then seed + 1, ...) every analysis x evidence set x prior is
fitted as the workflow fits it (leave-one-out refits under each primary prior; the RIOTT bank is
computed by quadrature, with no sampling), with ``on_failure: flag`` so that one miss
does not hide the others. Prints, per seed, whether every fit met its targets and how many draws
per chain each needed; writes ``benchmarks/out/robustness.json``. Relative data paths in the
config are taken relative to the config file's directory's parent when they do not exist from
the current directory (so ``--config examples/bcg/config.yaml`` works from the repository root).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data_path(path: str, config_file: Path) -> str:
    """A data path as the workflow would resolve it: from the working directory, or else from
    the config's own directory (a review run with ``--directory``)."""
    return path if Path(path).exists() else str(config_file.parent / path)


def fits_for_seed(settings, tables, seed: int) -> dict:
    from hatmeta.bayes.stage import ModelStage
    from hatmeta.data.tables import trial_rows

    model = settings.model._replace(
        sampler=settings.model.sampler._replace(seed=seed),
        gate=settings.model.gate._replace(on_failure="flag"),
    )
    n_trials = max(len(trial_rows(t)) for t in tables.values())  # as the workflow's fit job
    stage = ModelStage(model, n_trials)
    flagged = []
    for spec in settings.priors.values():
        for (evidence, name), table in tables.items():
            result = stage.fit(evidence, settings.analysis(name), spec, table)
            if result.status == "flagged":
                failures = result.diagnostics["failures"]
                flagged.append(f"{result.where} under {spec.name}: {failures}")
    draws = Counter(t["draws"] for t in stage.timings)
    return {
        "seed": seed,
        "fits": len(stage.timings),
        "all_met_targets": not flagged,
        "flagged": flagged,
        "draws_per_chain": dict(sorted(draws.items())),
        "max_draws": max(draws),
        "attempts": sum(t["attempts"] for t in stage.timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    args = parser.parse_args()
    from hatmeta.config import DataFiles, load_settings
    from hatmeta.data.tables import build_tables

    settings = load_settings(args.config)
    data = {k: v and data_path(v, args.config) for k, v in settings.data._asdict().items()}
    settings = settings._replace(data=DataFiles(**data))
    built = build_tables(settings.data.extraction, settings.data.bibliography, settings.extract)
    tables = built["analyses"]
    report = []
    for seed in range(settings.model.sampler.seed, settings.model.sampler.seed + args.seeds):
        start = time.perf_counter()
        row = fits_for_seed(settings, tables, seed)
        row["seconds"] = round(time.perf_counter() - start, 1)
        report.append(row)
        print(
            f"seed {seed}: {row['fits']} fits, all met targets: {row['all_met_targets']}, "
            f"draws per chain {row['draws_per_chain']} ({row['attempts']} attempts, "
            f"{row['seconds']} s)",
            flush=True,
        )
        for line in row["flagged"]:
            print(f"  flagged: {line}")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    name = "robustness.json" if args.config.parent.name == "config" else "robustness_other.json"
    (out / name).write_text(json.dumps({"config": str(args.config), "seeds": report}, indent=2))
    sys.exit(0 if all(r["all_met_targets"] for r in report) else 1)


if __name__ == "__main__":
    main()
