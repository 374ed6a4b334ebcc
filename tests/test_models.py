"""Tests for the binomial-logit model, the compile-once runner, summaries and the gate.

The model is compiled once for the whole module (``runner`` fixture); every fit is a data swap.
"""

from __future__ import annotations

import json
from pathlib import Path

import arviz_stats as azs
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hatmeta.fitting import (
    ConvergenceError,
    DiagnosticThresholds,
    FitData,
    HeterogeneityPrior,
    ModelRunner,
    SamplerSettings,
    compute_diagnostics,
    fit_leave_one_out,
    gate,
    save_diagnostics,
    save_posterior,
    save_summary,
    summarise,
)
from hatmeta.models import build_model

N_SLOTS = 5
SEED = 11
RETENTION = [
    ("DE2007", 346, 515, 200, 500),
    ("CA2009", 101, 115, 60, 111),
    ("EN2010", 38, 43, 29, 42),
    ("ES2006", 23, 31, 21, 31),
]
ILLICIT = [
    ("CH1998", 21, 27, 8, 24),
    ("DE2007", 356, 515, 276, 500),
    ("CA2009", 77, 115, 53, 111),
    ("EN2010", 31, 43, 11, 42),
]
MORTALITY = [("CA2009", 0, 115, 1, 111)]
# A trial in flat contradiction with the others: if masking leaked, d would move a lot.
OUTLIER = ("XX", 2, 100, 98, 100)
HN05 = HeterogeneityPrior("hn05", "half_normal", scale=0.5)
TURNER = HeterogeneityPrior("turner", "log_normal_tau2", mean=-2.56, sd=1.74)
THRESHOLDS = DiagnosticThresholds()


def arms_table(rows: list[tuple[str, int, int, int, int]]) -> pd.DataFrame:
    """Tidy arm table from (trial, events_t, total_t, events_c, total_c) tuples."""
    records = []
    for trial, y_t, n_t, y_c, n_c in rows:
        records.append({"trial": trial, "role": "treatment", "events": y_t, "total": n_t})
        records.append({"trial": trial, "role": "control", "events": y_c, "total": n_c})
    return pd.DataFrame(records)


def fit_data(rows: list[tuple[str, int, int, int, int]]) -> FitData:
    return FitData.from_arms(arms_table(rows), N_SLOTS)


@pytest.fixture(scope="module")
def runner() -> ModelRunner:
    return ModelRunner(N_SLOTS)


@pytest.fixture(scope="module")
def retention_fit(runner: ModelRunner) -> xr.DataTree:
    return runner.fit(fit_data(RETENTION), HN05, seed=SEED)


def quantiles_with_mcse(tree: xr.DataTree, var: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 2.5/50/97.5% quantiles of a scalar variable, with their MCSEs."""
    draws = tree["posterior"][var].to_dataset()[var]
    values = draws.values.ravel()
    estimates = [values.mean(), *np.quantile(values, [0.025, 0.5, 0.975])]
    mcse = [float(azs.mcse(draws, method="mean"))] + [
        float(azs.mcse(draws, method="quantile", prob=p)) for p in (0.025, 0.5, 0.975)
    ]
    return np.array(estimates), np.array(mcse)


# ---------------------------------------------------------------------------------------------
# Input handling (no sampling)
# ---------------------------------------------------------------------------------------------


def test_fitdata_pads_masks_and_keeps_order() -> None:
    data = fit_data(ILLICIT)
    assert data.trials == ("CH1998", "DE2007", "CA2009", "EN2010")
    assert data.mask.tolist() == [1, 1, 1, 1, 0]
    assert data.y_treatment.tolist() == [21, 356, 77, 31, 0]
    assert data.n_control.tolist() == [24, 500, 111, 42, 0]
    left = data.without("DE2007")
    assert left.included == ("CH1998", "CA2009", "EN2010")
    assert left.y_control[1] == 0 and left.n_treatment[1] == 0
    assert data.mask[1] == 1  # the original is unchanged


def test_fitdata_rejects_bad_tables() -> None:
    arms = arms_table(RETENTION)
    with pytest.raises(ValueError, match="one treatment and one control"):
        FitData.from_arms(arms.iloc[:-1], N_SLOTS)
    with pytest.raises(ValueError, match="exceed"):
        FitData.from_arms(arms, 3)
    with pytest.raises(ValueError, match="masked slots"):
        data = fit_data(RETENTION)
        FitData(
            data.trials,
            data.y_control,
            data.n_control,
            data.y_treatment,
            data.n_treatment,
            np.array([1.0, 1.0, 1.0, 0.0, 0.0]),
        )


def test_prior_family_selects_data_arrays() -> None:
    assert HN05.data_arrays()["tau_is_half_normal"] == 1.0
    assert TURNER.data_arrays()["tau_is_half_normal"] == 0.0
    assert TURNER.data_arrays()["tau_ln_sd"] == pytest.approx(1.74)
    with pytest.raises(ValueError):
        HeterogeneityPrior("bad", "half_normal")


def test_model_supports_prior_predictive() -> None:
    import pymc as pm

    model = build_model(3)
    with model:
        pm.set_data({"n_control": [10, 20, 0], "n_treatment": [10, 20, 0]})
        prior = pm.sample_prior_predictive(draws=200, random_seed=1)
    obs = prior["prior_predictive"]["obs_treatment"].values
    assert obs.shape[-1] == 3
    assert obs[..., 2].max() == 0  # empty padding slot
    assert obs[..., 0].max() <= 10
    tau = prior["prior"]["tau"].values
    # Placeholder prior is half-normal(0.5): median 0.5 * 0.674.
    assert np.median(tau) == pytest.approx(0.337, rel=0.25)


# ---------------------------------------------------------------------------------------------
# Sampling: masking, data swaps, zero cells, determinism
# ---------------------------------------------------------------------------------------------


def test_masked_trial_contributes_nothing(runner: ModelRunner, retention_fit) -> None:
    # The outlier sits in slot 0, so the arrays differ from the plain fit and so does the path
    # of the sampler: agreement is statistical, within Monte Carlo error.
    with_outlier = fit_data([OUTLIER, *RETENTION])
    masked = runner.fit(with_outlier.without("XX"), HN05, seed=SEED + 1)
    for var in ("d", "tau"):
        ref, ref_mcse = quantiles_with_mcse(retention_fit, var)
        est, est_mcse = quantiles_with_mcse(masked, var)
        tolerance = 4 * np.hypot(ref_mcse, est_mcse)
        assert np.all(np.abs(est - ref) <= tolerance), (var, est, ref, tolerance)
    # The same outlier, included, moves the pooled effect far beyond that tolerance.
    included = runner.fit(with_outlier, HN05, seed=SEED + 1)
    d_ref, d_mcse = quantiles_with_mcse(retention_fit, "d")
    d_inc, _ = quantiles_with_mcse(included, "d")
    assert abs(d_inc[2] - d_ref[2]) > 20 * d_mcse[2]


def test_with_data_swaps_data_and_priors(runner: ModelRunner, retention_fit) -> None:
    summary = summarise(retention_fit, higher_is_better=True, relevant_or=1.25)
    summary = summary.set_index("quantity")
    illicit = summarise(
        runner.fit(fit_data(ILLICIT), HN05, seed=SEED), higher_is_better=True, relevant_or=1.25
    ).set_index("quantity")
    assert "OR_shrunken[CH1998]" in illicit.index
    assert illicit.loc["OR", "median"] != summary.loc["OR", "median"]
    # A prior swap through data: a tight half-normal(0.02) must pull tau towards zero.
    tight = runner.fit(
        fit_data(RETENTION), HeterogeneityPrior("tiny", "half_normal", scale=0.02), seed=SEED
    )
    assert np.median(tight["posterior"]["tau"]) < 0.03 < summary.loc["tau", "median"]
    # So must an effect prior swap: Normal(0, 0.01) pins the pooled log OR at 0.
    null = runner.fit(fit_data(RETENTION), HN05, seed=SEED, effect_sd=0.01)
    assert abs(float(np.median(null["posterior"]["d"]))) < 0.03
    assert float(null["constant_data"]["effect_sd"]) == 0.01


def test_zero_event_arm_fits(runner: ModelRunner) -> None:
    tree = runner.fit(fit_data(MORTALITY), TURNER, seed=SEED)
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


def test_same_seed_gives_identical_outputs(
    runner: ModelRunner, retention_fit, tmp_path: Path
) -> None:
    again = runner.fit(fit_data(RETENTION), HN05, seed=SEED)
    first = summarise(retention_fit, higher_is_better=True, relevant_or=1.25)
    second = summarise(again, higher_is_better=True, relevant_or=1.25)
    pd.testing.assert_frame_equal(first, second)
    save_diagnostics(compute_diagnostics(retention_fit), tmp_path / "a.json")
    save_diagnostics(compute_diagnostics(again), tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    different = runner.fit(fit_data(RETENTION), HN05, seed=SEED + 100)
    assert not np.array_equal(different["posterior"]["d"], retention_fit["posterior"]["d"])


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def test_summary_quantities(retention_fit) -> None:
    summary = summarise(retention_fit, higher_is_better=True, relevant_or=1.25)
    assert list(summary.columns) == [
        "quantity",
        "median",
        "lower",
        "upper",
        "mean",
        "scale",
        "note",
    ]
    table = summary.set_index("quantity")
    for name in ("OR", "RR", "RD", "tau", "OR_predictive", "OR_shrunken[DE2007]"):
        row = table.loc[name]
        assert row["lower"] < row["median"] < row["upper"], name
    # The predictive interval of a new trial is wider than the pooled one.
    assert table.loc["OR_predictive", "upper"] > table.loc["OR", "upper"]
    assert table.loc["P(benefit)", "mean"] == table.loc["P(OR>1)", "mean"]
    relevant = table.loc["P(clinically relevant benefit)", "mean"]
    assert 0 <= relevant <= table.loc["P(benefit)", "mean"] <= 1
    assert table.loc["OR_observed[CA2009]", "median"] == pytest.approx(
        (101 * 51) / (14 * 60), rel=1e-9
    )


def test_risks_are_standardised_to_included_trials(runner: ModelRunner) -> None:
    data = fit_data(RETENTION).without("CA2009")
    tree = runner.fit(data, HN05, seed=SEED)
    post = tree["posterior"]
    included = ["DE2007", "EN2010", "ES2006"]
    mu = post["mu"].sel(trial=included)
    p0 = (1 / (1 + np.exp(-mu))).mean("trial")
    p1 = (1 / (1 + np.exp(-(mu + post["d"])))).mean("trial")
    np.testing.assert_allclose(post["p_control"], p0, rtol=1e-10)
    np.testing.assert_allclose(post["p_treatment"], p1, rtol=1e-10)
    summary = summarise(tree, higher_is_better=True, relevant_or=1.25)
    assert "OR_shrunken[CA2009]" not in set(summary["quantity"])


def test_leave_one_out(runner: ModelRunner) -> None:
    loo = fit_leave_one_out(
        runner,
        fit_data(RETENTION),
        HN05,
        seed=SEED,
        settings=SamplerSettings(draws=1000, tune=500),
    )
    assert list(loo["left_out"]) == [r[0] for r in RETENTION]
    assert (loo["n_included"] == 3).all()
    assert (loo["OR_lower"] < loo["OR_median"]).all()
    assert (loo["OR_median"] < loo["OR_upper"]).all()
    # CA2009 has by far the largest observed OR: leaving it out lowers the pooled OR the most.
    assert loo.set_index("left_out")["OR_median"].idxmin() == "CA2009"
    empty = fit_leave_one_out(runner, fit_data(MORTALITY), HN05, seed=SEED)
    assert empty.empty


# ---------------------------------------------------------------------------------------------
# Diagnostics gate and output files
# ---------------------------------------------------------------------------------------------


def test_gate_passes_on_realistic_data(retention_fit) -> None:
    diag = compute_diagnostics(retention_fit)
    assert gate(diag, THRESHOLDS, analysis="retention", prior="hn05") == []
    assert diag["divergences"] == 0
    assert diag["min_ess_bulk"] >= 1000 and diag["min_ess_tail"] >= 1000
    assert diag["max_r_hat"] <= 1.01
    assert set(diag["variables"]) == {"d", "tau", "delta", "delta_new", "mu", "RR", "RD"}


def test_gate_fails_with_too_few_draws(runner: ModelRunner) -> None:
    short = SamplerSettings(draws=20, tune=20)
    tree = runner.fit(fit_data(RETENTION), HN05, seed=SEED, settings=short)
    diag = compute_diagnostics(tree)
    with pytest.raises(ConvergenceError, match="ess_bulk") as info:
        gate(diag, THRESHOLDS, analysis="retention", prior="hn05")
    assert info.value.analysis == "retention" and info.value.prior == "hn05"
    assert "'retention'" in str(info.value) and "'hn05'" in str(info.value)
    flagged = gate(diag, THRESHOLDS, analysis="retention", prior="hn05", on_failure="flag")
    assert flagged == info.value.failures
    assert any(f.startswith("tau: ess_tail") for f in flagged)


def test_output_files(retention_fit, tmp_path: Path) -> None:
    summary = summarise(retention_fit, higher_is_better=True, relevant_or=1.25)
    save_summary(summary, tmp_path / "s" / "summary.csv")
    back = pd.read_csv(tmp_path / "s" / "summary.csv")
    assert list(back["quantity"]) == list(summary["quantity"])
    save_diagnostics(compute_diagnostics(retention_fit), tmp_path / "d" / "diagnostics.json")
    loaded = json.loads((tmp_path / "d" / "diagnostics.json").read_text())
    assert list(loaded) == sorted(loaded)
    assert loaded["divergences"] == 0


def test_posterior_netcdf_round_trip(retention_fit, tmp_path: Path) -> None:
    pytest.importorskip("h5py", reason="h5netcdf needs h5py to write netCDF4 files")
    save_posterior(retention_fit, tmp_path / "posterior.nc")
    back = xr.open_datatree(tmp_path / "posterior.nc", engine="h5netcdf")
    np.testing.assert_array_equal(back["posterior"]["d"], retention_fit["posterior"]["d"])
    assert list(back["posterior"]["trial"].values) == [r[0] for r in RETENTION]
