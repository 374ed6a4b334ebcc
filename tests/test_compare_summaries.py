"""tools/compare_summaries.py: z of every summary number against its Monte Carlo error.

Three runs of one fit: the same posterior twice (every z is 0), another seed (z about standard
normal) and a posterior moved by half its sd (found).
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
from bayes_data import GATE, HN05, ILLICIT, N_SLOTS, SAMPLER, fit_data
from conftest import ROOT

from hatmeta.bayes.sampling import ModelRunner
from hatmeta.bayes.summaries import summarise
from hatmeta.io import save_posterior, write_csv

sys.path.insert(0, str(ROOT / "tools"))
from compare_summaries import compare_fit

ANALYSIS = SimpleNamespace(outcome=SimpleNamespace(higher_is_better=False))
SETTINGS = SimpleNamespace(model=SimpleNamespace(relevant_or=1.5))


def write_run(tmp_path, name: str, tree):
    directory = tmp_path / name
    directory.mkdir()
    summary = summarise(tree, higher_is_better=False, relevant_or=1.5)
    write_csv(summary, directory / "summary.csv")
    save_posterior(tree, directory / "posterior.nc")
    return directory


@pytest.fixture(scope="module")
def trees():
    runner = ModelRunner(N_SLOTS, SAMPLER, effect_sd=2.5, baseline_sd=5.0)
    first = runner.fit(fit_data(ILLICIT), HN05, GATE).tree
    other = runner.fit(fit_data(ILLICIT), HN05, GATE, sampler=SAMPLER._replace(seed=12)).tree
    return first, other


def zs(rows) -> np.ndarray:
    return np.array([r["z"] for r in rows if "z" in r])


def test_the_same_posterior_twice_gives_z_zero(tmp_path, trees) -> None:
    old, new = write_run(tmp_path, "old", trees[0]), write_run(tmp_path, "new", trees[0])
    rows, check = compare_fit(old, new, ANALYSIS, SETTINGS)
    assert len(zs(rows)) > 30
    assert not np.any(zs(rows))
    assert all(r["exact_equal"] for r in rows if "exact_equal" in r)
    # The batch-means shortcut agrees with ArviZ's MCSE of the mean within a factor of 2.
    assert 0.5 < check["batch_means"] / check["arviz"] < 2.0


def test_another_seed_gives_z_of_monte_carlo_size(tmp_path, trees) -> None:
    old, new = write_run(tmp_path, "old", trees[0]), write_run(tmp_path, "new", trees[1])
    z = np.abs(zs(compare_fit(old, new, ANALYSIS, SETTINGS)[0]))
    # |N(0, 1)| has median 0.67; batch means estimate the MCSE from 20 batches.
    assert 0.3 < np.median(z) < 1.3
    assert z.max() < 5


def test_a_shifted_posterior_is_found(tmp_path, trees) -> None:
    moved = trees[1].copy()
    posterior = moved["posterior"].to_dataset()
    sd = float(posterior["d"].std())
    moved["posterior"] = posterior.assign(d=posterior["d"] + 0.5 * sd)
    old, new = write_run(tmp_path, "old", trees[0]), write_run(tmp_path, "new", moved)
    rows = compare_fit(old, new, ANALYSIS, SETTINGS)[0]
    log_or = [abs(r["z"]) for r in rows if r["quantity"] == "log_OR" and r["column"] == "median"]
    assert log_or[0] > 5
