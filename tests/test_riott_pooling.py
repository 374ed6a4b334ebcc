"""Propagation of RIOTT scenarios into the pooled analysis, and the tipping-point logic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hatmeta.riott import pooling as sensitivity


def test_weighted_quantiles_match_repeated_sample():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    weights = np.array([1, 1, 2, 0], dtype=float)
    repeated = np.repeat(values, weights.astype(int))
    assert sensitivity.weighted_quantiles(values, weights, [0.5])[0] == pytest.approx(
        np.median(repeated), abs=0.5
    )


def test_reweighting_matches_the_conjugate_normal_posterior():
    # base: d ~ N(0, 1) and RIOTT's effect equal to d (no heterogeneity); adding an
    # observation y ~ N(d, s) gives d | y ~ N(y / (1 + s^2), s^2 / (1 + s^2)).
    rng = np.random.default_rng(3)
    d = rng.normal(size=200_000)
    base = sensitivity.BaseDraws(d=d, delta_riott=d, higher_is_better=True)
    y, s = 1.2, 0.8
    result = sensitivity.reweight(base, y, s)
    mean, sd = y / (1 + s**2), np.sqrt(s**2 / (1 + s**2))
    assert np.log(result["pooled_or_median"]) == pytest.approx(mean, abs=0.01)
    assert np.log(result["pooled_or_lower"]) == pytest.approx(mean - 1.96 * sd, abs=0.02)
    from scipy import stats

    assert result["pooled_p_benefit"] == pytest.approx(stats.norm.sf(0, mean, sd), abs=0.005)
    assert result["reliable"] and result["pareto_khat"] < 0.7


def test_reweighting_flags_evidence_far_from_the_base():
    d = np.random.default_rng(4).normal(size=4000)
    base = sensitivity.BaseDraws(d=d, delta_riott=d, higher_is_better=True)
    assert not sensitivity.reweight(base, 9.0, 0.1)["reliable"]


def test_tipping_imor_interpolates_the_first_crossing():
    curve = pd.DataFrame({"imor_methadone": [0, 0.5, 1, 2], "or_lower": [3.0, 2.0, 0.5, 0.2]})
    assert sensitivity.tipping_imor(curve, "or_lower", 1.0, below=True) == pytest.approx(
        0.5 + 0.5 / 1.5
    )
    never = curve.assign(or_lower=[3.0, 2.5, 2.0, 1.5])
    assert np.isnan(sensitivity.tipping_imor(never, "or_lower", 1.0, below=True))


def test_tipping_sentence_names_the_values():
    points = pd.DataFrame(
        {
            "heroin_scenario": ["mp", "mp"],
            "missing_share_methadone": [0.2, 0.58],
            "imor_riott_ci_includes_1": [np.nan, 0.07],
            "imor_pooled_loses_benefit": [np.nan, 1.5],
            "unreliable_cells": [0, 0],
        }
    )
    sentence = sensitivity.tipping_sentence(points, {"mp": 0.58}, 4.0, 0.95)
    assert "58%" in sentence and "0.07" in sentence and "1.5" in sentence
