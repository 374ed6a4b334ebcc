#!/usr/bin/env python
"""Are two runs' summary tables equal within Monte Carlo error? Every number, old versus new.

Usage: ``.venv/bin/python tools/compare_summaries.py OLD_DIR NEW_DIR [--config config/config.yaml]``

``OLD_DIR`` and ``NEW_DIR`` are working directories of two runs (each with ``results/fits/``),
say the baseline revision's and this one's. For every fit both hold
(``results/fits/{evidence}/{analysis}/{prior}/summary.csv`` with its ``posterior.nc``) and every
number of its summary (median, interval limits, mean, probabilities):

* a number that is not a posterior summary (observed odds ratios, the baseline risk, the
  normal-normal cross-check, computed by quadrature) must be equal up to the CSV's rounding;
* a posterior summary's difference is divided by its Monte Carlo standard error,
  ``z = (new - old) / sqrt(mcse_old^2 + mcse_new^2)``. Each run's MCSE of each number comes from
  batch means: the library's own :func:`hatmeta.bayes.summaries.summarise` applied to
  ``BATCHES`` contiguous batches of every chain, ``mcse = sd(batch values) / sqrt(batches)``, so
  that every quantity (quantiles, probabilities, risk differences) is covered without restating
  how it is computed. As a check of that shortcut, the MCSE of the mean of ``log_OR`` is also
  computed by ArviZ (``mcse(method="mean")``) and the ratio printed.

If both runs are independent draws of the same posteriors, ``z`` is about standard normal: about
5% of ``|z|`` above 1.96 and a handful above 3 in a few thousand numbers. The script prints the
distribution of ``|z|``, the largest ones, and exits with 1 when an exact number differs or
``|z|`` exceeds ``--max-z`` (default 5). Rate-model summaries and leave-one-out tables are not
covered: their posteriors are not written.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: Contiguous batches per chain for the batch-means MCSE.
BATCHES_PER_CHAIN = 5
#: Summary columns holding numbers.
NUMBERS = ("median", "lower", "upper", "mean")


def posterior_rows(summary: pd.DataFrame) -> pd.Series:
    """Which rows summarise posterior draws (the others are exact numbers)."""
    quantity = summary["quantity"].astype(str)
    exact = (
        quantity.str.startswith("OR_observed[")
        | quantity.str.endswith("_normal_normal")
        | quantity.eq("baseline_risk")
    )
    return ~exact


def summarise_fit(tree, analysis, settings, summary: pd.DataFrame) -> pd.DataFrame:
    """The library's summary of ``tree`` with the fit's own settings."""
    from hatmeta.bayes.summaries import summarise
    from hatmeta.evidence_rules import Baseline

    row = summary[summary["quantity"] == "baseline_risk"]
    baseline = None
    if not row.empty:
        baseline = Baseline(float(row["median"].iloc[0]), str(row["note"].iloc[0]))
    return summarise(
        tree,
        higher_is_better=analysis.outcome.higher_is_better,
        relevant_or=settings.model.relevant_or,
        baseline=baseline,
    ).set_index("quantity")


def batch_mcse(tree, analysis, settings, summary: pd.DataFrame) -> pd.DataFrame:
    """Batch-means MCSE of every number of ``summarise`` (module docstring)."""
    posterior = tree["posterior"].to_dataset()
    draws = posterior.sizes["draw"]
    edges = np.linspace(0, draws, BATCHES_PER_CHAIN + 1).astype(int)
    values = []
    for chain in range(posterior.sizes["chain"]):
        for start, stop in itertools.pairwise(edges):
            part = tree.copy()
            part["posterior"] = posterior.isel(chain=[chain], draw=slice(int(start), int(stop)))
            values.append(summarise_fit(part, analysis, settings, summary)[list(NUMBERS)])
    stacked = np.stack([v.to_numpy(dtype=float) for v in values])
    with warnings.catch_warnings():  # rows without a given column (NaN in every batch)
        warnings.simplefilter("ignore", RuntimeWarning)
        mcse = np.nanstd(stacked, axis=0, ddof=1) / math.sqrt(len(values))
    return pd.DataFrame(mcse, index=values[0].index, columns=list(NUMBERS))


def compare_fit(old_dir: Path, new_dir: Path, analysis, settings) -> tuple[list[dict], dict]:
    """Every number of one fit: its z (posterior summaries) or exact difference."""
    from hatmeta.io import load_posterior

    old_summary = pd.read_csv(old_dir / "summary.csv")
    new_summary = pd.read_csv(new_dir / "summary.csv")
    if "median" not in new_summary.columns:  # a fit without data: a note only
        return [], {}
    trees = {"old": load_posterior(old_dir / "posterior.nc")}
    trees["new"] = load_posterior(new_dir / "posterior.nc")
    mcse = {
        "old": batch_mcse(trees["old"], analysis, settings, old_summary),
        "new": batch_mcse(trees["new"], analysis, settings, new_summary),
    }
    old = old_summary.set_index("quantity")
    new = new_summary.set_index("quantity")
    posterior = posterior_rows(new_summary).to_numpy()
    rows = []
    for quantity, is_posterior in zip(new_summary["quantity"], posterior, strict=True):
        if quantity not in old.index:
            continue
        for column in NUMBERS:
            a, b = float(old.at[quantity, column]), float(new.at[quantity, column])
            if math.isnan(a) and math.isnan(b):
                continue
            row = {"quantity": quantity, "column": column, "old": a, "new": b}
            if is_posterior:
                se = math.hypot(mcse["old"].at[quantity, column], mcse["new"].at[quantity, column])
                row["z"] = (b - a) / se if se > 0 else (0.0 if a == b else math.inf)
            else:
                row["exact_equal"] = bool(np.isclose(a, b, rtol=1e-5, atol=0))
            rows.append(row)
    check = _arviz_check(trees["new"], mcse["new"])
    return rows, check


def _arviz_check(tree, mcse: pd.DataFrame) -> dict:
    """ArviZ's MCSE of the mean of log_OR beside the batch-means one (the shortcut's check)."""
    import arviz_stats as azs

    from hatmeta.bayes.summaries import reported_draws

    d = reported_draws(tree)["d"]
    arviz = float(azs.mcse(d.to_dataset(name="d"), method="mean")["d"])
    return {"arviz": arviz, "batch_means": float(mcse.at["log_OR", "mean"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--config", type=Path, default=ROOT / "config/config.yaml")
    parser.add_argument("--max-z", type=float, default=5.0)
    args = parser.parse_args()
    from hatmeta.config import load_settings

    settings = load_settings(args.config)
    rows, checks = [], []
    fits = sorted((args.new / "results/fits").glob("*/*/*/summary.csv"))
    for new_summary in fits:
        prior_dir = new_summary.parent
        old_dir = args.old / prior_dir.relative_to(args.new)
        if not (old_dir / "summary.csv").exists():
            print(f"only in the new run: {prior_dir.relative_to(args.new)}")
            continue
        analysis = settings.analysis(prior_dir.parent.name)
        fit_rows, check = compare_fit(old_dir, prior_dir, analysis, settings)
        name = str(prior_dir.relative_to(args.new / "results/fits"))
        rows += [r | {"fit": name} for r in fit_rows]
        if check:
            checks.append(check)
    table = pd.DataFrame(rows)
    z = table["z"].dropna().abs() if "z" in table else pd.Series(dtype=float)
    exact = table["exact_equal"].dropna() if "exact_equal" in table else pd.Series(dtype=bool)
    ratio = [c["batch_means"] / c["arviz"] for c in checks]
    print(f"fits compared: {table['fit'].nunique() if len(table) else 0}")
    same = int((table["old"] == table["new"]).sum()) if len(table) else 0
    print(f"numbers identical in both runs: {same} of {len(table)}")
    print(
        f"posterior summaries: {len(z)}; |z| median {z.median():.2f}, "
        f"share > 1.96: {(z > 1.96).mean():.3f}, > 3: {(z > 3).sum()}, max {z.max():.2f}"
    )
    print(f"exact numbers: {len(exact)}, differing: {int((~exact.astype(bool)).sum())}")
    print(
        f"batch-means / ArviZ MCSE of mean log OR: median {np.median(ratio):.2f} "
        f"(range {min(ratio):.2f} to {max(ratio):.2f}, {len(ratio)} fits)"
    )
    if len(z):
        worst = table.loc[z.sort_values(ascending=False).index[:8]]
        print("largest |z|:")
        print(worst[["fit", "quantity", "column", "old", "new", "z"]].to_string(index=False))
    failed = (z > args.max_z).any() or not exact.astype(bool).all()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
