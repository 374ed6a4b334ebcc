"""The compile-once runner: masking, data and prior swaps, zero cells, determinism.

The model is compiled once for the session (``runner`` fixture); every fit is a data swap.
"""

from __future__ import annotations

import copy

import arviz_stats as azs
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from bayes_data import GATE, HN05, ILLICIT, MORTALITY, OUTLIER, RETENTION, TURNER, fit_data

from hatmeta.bayes.sampling import next_draws
from hatmeta.bayes.summaries import summarise
from hatmeta.io import load_posterior, save_posterior
from hatmeta.priors import half_normal


def quantiles_with_mcse(tree: xr.DataTree, var: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 2.5/50/97.5% quantiles of a scalar variable, with their MCSEs."""
    draws = tree["posterior"][var].to_dataset()[var]
    values = draws.values.ravel()
    estimates = [values.mean(), *np.quantile(values, [0.025, 0.5, 0.975])]
    mcse = [float(azs.mcse(draws, method="mean"))] + [
        float(azs.mcse(draws, method="quantile", prob=p)) for p in (0.025, 0.5, 0.975)
    ]
    return np.array(estimates), np.array(mcse)


def test_masked_trial_contributes_nothing(runner, retention_fit) -> None:
    # The outlier sits in slot 0, so the arrays differ from the plain fit and so does the path
    # of the sampler: agreement is statistical, within Monte Carlo error.
    with_outlier = fit_data([OUTLIER, *RETENTION])
    other_seed = runner.sampler._replace(seed=runner.sampler.seed + 1)
    masked = runner.fit(with_outlier.without("XX"), HN05, GATE, sampler=other_seed).tree
    for var in ("d", "tau"):
        ref, ref_mcse = quantiles_with_mcse(retention_fit, var)
        est, est_mcse = quantiles_with_mcse(masked, var)
        tolerance = 4 * np.hypot(ref_mcse, est_mcse)
        assert np.all(np.abs(est - ref) <= tolerance), (var, est, ref, tolerance)
    # The same outlier, included, moves the pooled effect far beyond that tolerance.
    included = runner.fit(with_outlier, HN05, GATE, sampler=other_seed).tree
    d_ref, d_mcse = quantiles_with_mcse(retention_fit, "d")
    d_inc, _ = quantiles_with_mcse(included, "d")
    assert abs(d_inc[2] - d_ref[2]) > 20 * d_mcse[2]


def test_with_data_swaps_data_and_priors(runner, retention_fit) -> None:
    summary = summarise(retention_fit, higher_is_better=True, relevant_or=1.25)
    summary = summary.set_index("quantity")
    illicit = summarise(
        runner.fit(fit_data(ILLICIT), HN05, GATE).tree, higher_is_better=True, relevant_or=1.25
    ).set_index("quantity")
    assert "OR_shrunken[CH1998]" in illicit.index
    assert illicit.loc["OR", "median"] != summary.loc["OR", "median"]
    # A prior swap through data: a tight half-normal(0.02) must pull tau towards zero.
    tight = runner.fit(fit_data(RETENTION), half_normal(0.02), GATE).tree
    assert np.median(tight["posterior"]["tau"]) < 0.03 < summary.loc["tau", "median"]
    # So must an effect prior swap: Normal(0, 0.01) pins the pooled log OR at 0.
    pinned = copy.copy(runner)  # shares the compiled model
    pinned.effect_sd = 0.01
    null = pinned.fit(fit_data(RETENTION), HN05, GATE).tree
    assert abs(float(np.median(null["posterior"]["d"]))) < 0.03
    assert float(null["constant_data"]["effect_sd"]) == 0.01
    assert runner.compile_seconds is not None and pinned.compiled is runner.compiled


def test_zero_event_arm_fits(runner) -> None:
    tree = runner.fit(fit_data(MORTALITY), TURNER, GATE).tree
    summary = summarise(tree, higher_is_better=False, relevant_or=1.25).set_index("quantity")
    assert list(tree["posterior"]["trial"].values) == ["CA2009"]
    numeric = summary[["median", "lower", "upper"]].drop(
        ["P(OR>1)", "P(benefit)", "P(clinically relevant benefit)"]
    )
    assert np.isfinite(numeric.to_numpy()).all()
    # Zero treated deaths: the posterior OR leans below 1, and benefit means OR < 1 here.
    assert summary.loc["P(benefit)", "mean"] == pytest.approx(1 - summary.loc["P(OR>1)", "mean"])
    assert summary.loc["P(benefit)", "mean"] > 0.5
    assert "0.5 added" in summary.loc["OR_observed[CA2009]", "note"]
    assert summary.loc["OR_observed[CA2009]", "median"] == pytest.approx(
        (0.5 * 110.5) / (115.5 * 1.5)
    )


def test_same_seed_gives_identical_draws(runner, retention_fit) -> None:
    again = runner.fit(fit_data(RETENTION), HN05, GATE).tree
    first = summarise(retention_fit, higher_is_better=True, relevant_or=1.25)
    second = summarise(again, higher_is_better=True, relevant_or=1.25)
    pd.testing.assert_frame_equal(first, second)
    other_seed = runner.sampler._replace(seed=runner.sampler.seed + 100)
    different = runner.fit(fit_data(RETENTION), HN05, GATE, sampler=other_seed).tree
    assert not np.array_equal(different["posterior"]["d"], retention_fit["posterior"]["d"])


def test_posterior_netcdf_round_trip(retention_fit, tmp_path) -> None:
    save_posterior(retention_fit, tmp_path / "posterior.nc")
    back = load_posterior(tmp_path / "posterior.nc")
    np.testing.assert_array_equal(back["posterior"]["d"], retention_fit["posterior"]["d"])
    assert list(back["posterior"]["trial"].values) == [r[0] for r in RETENTION]
    assert back.attrs["prior_label"] == HN05.label


def test_a_short_first_attempt_is_extended_until_the_targets_are_met(runner) -> None:
    short = runner.sampler._replace(draws=150)
    fit = runner.fit(fit_data(RETENTION), HN05, GATE, sampler=short)
    assert fit.failures == [] and len(fit.attempts) >= 2
    assert fit.attempts[0].draws == 150 and fit.attempts[0].failures
    assert fit.diagnostics["draws"] == fit.attempts[-1].draws > 150
    assert fit.diagnostics["min_ess_bulk"] >= GATE.ess_bulk_min
    # The same settings give the same path and the same draws.
    again = runner.fit(fit_data(RETENTION), HN05, GATE, sampler=short)
    assert [a.draws for a in again.attempts] == [a.draws for a in fit.attempts]
    np.testing.assert_array_equal(again.tree["posterior"]["d"], fit.tree["posterior"]["d"])


def test_a_longer_attempt_repeats_and_extends_the_shorter_one(runner) -> None:
    """Extending restarts the chains with the same seed: the first draws are the same."""
    anything = GATE._replace(r_hat_max=10.0, ess_bulk_min=0, ess_tail_min=0, divergences_max=10**6)
    data = fit_data(RETENTION)
    short = runner.fit(data, HN05, anything, sampler=runner.sampler._replace(draws=300))
    long = runner.fit(data, HN05, anything, sampler=runner.sampler._replace(draws=600))
    assert len(short.attempts) == len(long.attempts) == 1
    np.testing.assert_array_equal(
        long.tree["posterior"]["d"].isel(draw=slice(0, 300)), short.tree["posterior"]["d"]
    )


def test_next_draws_follows_the_shortfall() -> None:
    def diagnostics(ess_bulk, ess_tail=5000.0, r_hat=1.0):
        return {"variables": {"tau": {"ess_bulk": ess_bulk, "ess_tail": ess_tail, "r_hat": r_hat}}}

    # 500 of 1000 effective draws from 1000 draws: about 2000 more are needed, 25% on top.
    assert next_draws(1000, diagnostics(500.0), GATE, 16000) == 2500
    assert next_draws(1000, diagnostics(5000.0, r_hat=1.05), GATE, 16000) == 2500
    assert next_draws(1000, diagnostics(float("nan")), GATE, 16000) == 2500
    assert next_draws(1000, diagnostics(10.0), GATE, 16000) == 16000  # capped
    assert next_draws(1000, diagnostics(990.0), GATE, 16000) == 1500  # at least one step more
