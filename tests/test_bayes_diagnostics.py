"""Convergence diagnostics and the gate."""

from __future__ import annotations

import pytest
from bayes_data import GATE, HN05, RETENTION, fit_data

from hatmeta.bayes.diagnostics import (
    ConvergenceError,
    check_diagnostics,
    compute_diagnostics,
    enforce,
)


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
