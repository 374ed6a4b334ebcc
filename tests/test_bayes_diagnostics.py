"""Convergence diagnostics and the gate."""

from __future__ import annotations

import arviz_stats as azs
import numpy as np
import pytest
from bayes_data import GATE, HN05, OUTLIER, RETENTION, fit_data

from hatmeta.bayes.diagnostics import (
    ConvergenceError,
    check_diagnostics,
    compute_diagnostics,
    enforce,
)
from hatmeta.bayes.summaries import reported_draws


def test_gate_passes_on_realistic_data(retention_fit) -> None:
    diag = compute_diagnostics(retention_fit)
    assert check_diagnostics(diag, GATE) == []
    assert diag["divergences"] == 0
    assert diag["min_ess_bulk"] >= 1000 and diag["min_ess_tail"] >= 1000
    assert diag["max_r_hat"] <= 1.01
    assert set(diag["variables"]) == {"d", "tau", "delta", "delta_new", "mu"}


def test_a_capped_fit_reports_its_failures_and_the_gate_stops_it(runner) -> None:
    capped = runner.sampler._replace(draws=20, max_draws=20, tune=20)
    fit = runner.fit(fit_data(RETENTION), HN05, GATE, sampler=capped)
    assert fit.failures and any(f.startswith("tau: ess_") for f in fit.failures)
    assert fit.failures == check_diagnostics(fit.diagnostics, GATE)
    with pytest.raises(ConvergenceError, match="ess_") as info:
        enforce(GATE, fit.failures, "all/retention", "hn05")
    assert info.value.fit == "all/retention" and info.value.prior == "hn05"
    assert "'all/retention'" in str(info.value) and "'hn05'" in str(info.value)
    enforce(GATE._replace(on_failure="flag"), fit.failures, "all/retention", "hn05")  # no raise


@pytest.mark.parametrize("masked", [False, True])
def test_diagnostics_are_arviz_dataset_diagnostics_bit_for_bit(runner, masked) -> None:
    """One stacked array through ArviZ's array functions gives exactly what ArviZ's dataset
    functions give variable by variable (worst element over the included trials)."""
    data = fit_data([OUTLIER, *RETENTION])
    capped = runner.sampler._replace(draws=300, max_draws=300)
    fit = runner.fit(data.without("XX") if masked else data, HN05, GATE, sampler=capped)
    draws = reported_draws(fit.tree)
    expected = {
        "r_hat": (azs.rhat(draws), np.max),
        "ess_bulk": (azs.ess(draws, method="bulk"), np.min),
        "ess_tail": (azs.ess(draws, method="tail"), np.min),
        "mcse_mean": (azs.mcse(draws, method="mean"), np.max),
    }
    diag = compute_diagnostics(fit.tree)
    for name, values in diag["variables"].items():
        for key, (ds, pick) in expected.items():
            assert values[key] == float(pick(ds[name].values)), (name, key)
