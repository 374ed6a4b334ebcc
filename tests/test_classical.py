"""Tests for the classical (statsmodels) reproduction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bayes_data import arms_table

from hatmeta.classical import classical_meta_analysis, dersimonian_laird, mantel_haenszel

RETENTION = [
    ("DE2007", 346, 515, 200, 500),
    ("CA2009", 101, 115, 60, 111),
    ("EN2010", 38, 43, 29, 42),
    ("ES2006", 23, 31, 21, 31),
]


@pytest.fixture(scope="module")
def retention() -> pd.DataFrame:
    return arms_table(RETENTION)


def test_ca2009_trial_rr_matches_published_rate_ratio(retention: pd.DataFrame) -> None:
    per_trial = dersimonian_laird(retention).per_trial.set_index("trial")
    # Published rate ratio 1.62 (NAO09); 101/115 over 60/111 is 1.6248.
    assert per_trial.loc["CA2009", "estimate"] == pytest.approx(1.62, abs=0.01)
    assert per_trial.loc["CA2009", "estimate"] == pytest.approx((101 / 115) / (60 / 111))
    assert not per_trial["zero_corrected"].any()


def test_dl_pooled_is_finite_and_inside_trial_range(retention: pd.DataFrame) -> None:
    result = dersimonian_laird(retention)
    pooled = result.pooled.set_index("method").loc["DL random"]
    estimates = result.per_trial["estimate"]
    assert np.isfinite(pooled["estimate"])
    assert estimates.min() < pooled["estimate"] < estimates.max()
    assert pooled["lower"] < pooled["estimate"] < pooled["upper"]
    het = result.heterogeneity.iloc[0]
    assert het["df"] == 3
    assert het["Q"] > 0 and 0 <= het["I2"] <= 1 and het["tau2"] > 0
    # The weights are relative weights of the four trials.
    assert result.per_trial["weight_re"].sum() == pytest.approx(1.0)


def test_mh_single_table_equals_simple_ratios() -> None:
    arms = arms_table([("T1", 30, 100, 20, 80)])
    mh = mantel_haenszel(arms).set_index("measure")
    assert mh.loc["RR", "estimate"] == pytest.approx((30 / 100) / (20 / 80))
    assert mh.loc["OR", "estimate"] == pytest.approx((30 * 60) / (70 * 20))
    assert mh.loc["OR", "lower"] < mh.loc["OR", "estimate"] < mh.loc["OR", "upper"]


def test_mh_two_tables_hand_computed() -> None:
    arms = arms_table([("T1", 10, 50, 5, 50), ("T2", 20, 40, 10, 60)])
    mh = mantel_haenszel(arms).set_index("measure")
    # MH RR = sum(a * n_c / N) / sum(c * n_t / N)
    expected = (10 * 50 / 100 + 20 * 60 / 100) / (5 * 50 / 100 + 10 * 40 / 100)
    assert mh.loc["RR", "estimate"] == pytest.approx(expected)


def test_zero_cell_single_trial_uses_half_correction() -> None:
    arms = arms_table([("CA2009", 0, 115, 1, 111)])
    result = classical_meta_analysis(arms)
    trial = result.per_trial.iloc[0]
    assert bool(trial["zero_corrected"])
    assert trial["estimate"] == pytest.approx((0.5 / 116) / (1.5 / 112))
    pooled = result.pooled.set_index(["method", "measure"])["estimate"]
    # One trial: the pooled estimates are the trial itself, heterogeneity is undefined.
    assert pooled[("DL random", "RR")] == pytest.approx(trial["estimate"])
    assert pooled[("MH fixed", "RR")] == pytest.approx(trial["estimate"])
    assert result.heterogeneity[["Q", "I2", "tau2"]].isna().all(axis=None)


def test_correction_only_touches_zero_cell_trials() -> None:
    arms = arms_table([("Z", 0, 115, 1, 111), ("CA2009", 101, 115, 60, 111)])
    per_trial = dersimonian_laird(arms).per_trial.set_index("trial")
    assert per_trial.loc["CA2009", "estimate"] == pytest.approx((101 / 115) / (60 / 111))
    assert per_trial.loc["Z", "estimate"] == pytest.approx((0.5 / 116) / (1.5 / 112))


def test_negative_dl_tau2_is_truncated_to_fixed_effect() -> None:
    arms = arms_table([("A", 50, 100, 40, 100), ("B", 52, 100, 41, 100), ("C", 49, 100, 39, 100)])
    result = dersimonian_laird(arms)
    het = result.heterogeneity.iloc[0]
    assert bool(het["tau2_truncated"])
    assert het["tau2"] == 0.0 and het["I2"] == 0.0
    pooled = result.pooled.set_index("method")
    assert pooled.loc["DL random", "estimate"] == pytest.approx(pooled.loc["IV fixed", "estimate"])
    assert pooled.loc["DL random", "se"] == pytest.approx(pooled.loc["IV fixed", "se"])


def test_classical_tables_are_tidy(retention: pd.DataFrame) -> None:
    result = classical_meta_analysis(retention, statistic="odds-ratio")
    assert list(result.pooled["method"]) == ["MH fixed", "MH fixed", "IV fixed", "DL random"]
    assert list(result.per_trial["trial"]) == [r[0] for r in RETENTION]
    assert set(result.per_trial["measure"]) == {"OR"}
