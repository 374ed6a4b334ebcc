"""Heterogeneity priors: the Turner et al. (2015) table and config resolution."""

from __future__ import annotations

import numpy as np
import pytest

from hatmeta.config import Outcome, PriorSpec
from hatmeta.priors import (
    TURNER_2015,
    TURNER_COMPARISONS,
    HeterogeneityPrior,
    PriorError,
    resolve,
    turner_2015,
)

# The vectors as typed in bayesmeta's R/bayesmeta.R (TurnerEtAlPrior data block). R fills a
# 16 x 5 matrix column by column: each run of 16 numbers is one comparison type.
R_MEANS = (
    -np.array(
        [
            3.95,
            3.52,
            3.71,
            2.34,
            2.14,
            2.99,
            2.71,
            2.29,
            1.87,
            2.49,
            2.06,
            1.83,
            2.54,
            2.12,
            1.77,
            2.70,
            4.18,
            3.75,
            3.95,
            2.58,
            2.37,
            3.23,
            2.94,
            2.53,
            2.10,
            2.73,
            2.29,
            2.06,
            2.78,
            2.35,
            2.00,
            2.93,
            4.17,
            3.74,
            3.93,
            2.56,
            2.36,
            3.21,
            2.93,
            2.51,
            2.10,
            2.71,
            2.28,
            2.05,
            2.77,
            2.34,
            1.99,
            2.92,
            2.92,
            2.49,
            2.68,
            1.31,
            1.11,
            1.96,
            1.67,
            1.26,
            0.84,
            1.46,
            1.03,
            0.80,
            1.51,
            1.09,
            0.74,
            1.67,
            3.50,
            3.08,
            3.27,
            1.90,
            1.69,
            2.55,
            2.26,
            1.85,
            1.43,
            2.05,
            1.61,
            1.38,
            2.10,
            1.67,
            1.33,
            2.26,
        ]
    )
    .reshape(5, 16)
    .T
)
R_SDS = (
    np.array(
        [
            1.34,
            1.74,
            1.74,
            1.74,
            1.74,
            1.74,
            1.74,
            1.53,
            1.52,
            1.52,
            1.51,
            1.52,
            1.54,
            1.53,
            1.52,
            1.52,
            1.41,
            1.79,
            1.79,
            1.79,
            1.79,
            1.79,
            1.79,
            1.58,
            1.58,
            1.58,
            1.58,
            1.58,
            1.60,
            1.60,
            1.58,
            1.58,
            1.55,
            1.91,
            1.91,
            1.91,
            1.91,
            1.91,
            1.92,
            1.72,
            1.71,
            1.71,
            1.71,
            1.71,
            1.73,
            1.72,
            1.71,
            1.71,
            1.02,
            1.50,
            1.51,
            1.50,
            1.50,
            1.51,
            1.51,
            1.25,
            1.24,
            1.24,
            1.24,
            1.25,
            1.27,
            1.27,
            1.24,
            1.25,
            1.26,
            1.68,
            1.68,
            1.68,
            1.68,
            1.68,
            1.68,
            1.46,
            1.45,
            1.45,
            1.45,
            1.45,
            1.47,
            1.47,
            1.45,
            1.45,
        ]
    )
    .reshape(5, 16)
    .T
)


def test_turner_table_matches_the_reference_implementation():
    table = np.array(list(TURNER_2015.values()))  # outcome x comparison x (mean, sd)
    assert table.shape == (16, 5, 2)
    np.testing.assert_array_equal(table[:, :, 0], R_MEANS)
    np.testing.assert_array_equal(table[:, :, 1], R_SDS)


def test_turner_lookup_for_heroin_versus_methadone():
    comparison = "pharmacological vs. pharmacological"
    assert turner_2015("withdrawals / drop-outs", comparison) == (-3.23, 1.79)
    assert turner_2015("all-cause mortality", comparison) == (-4.18, 1.41)
    assert turner_2015(None, comparison) == (-2.56, 1.74)
    with pytest.raises(PriorError, match="unknown Turner"):
        turner_2015("retention", comparison)


def test_resolve_named_priors():
    outcome = Outcome("sae", "serious adverse event", False, "adverse events")
    comparison = TURNER_COMPARISONS[1]
    hn = resolve(PriorSpec("hn", "half_normal", scale=0.5), outcome, comparison)
    assert (hn.name, hn.family, hn.scale) == ("hn", "half_normal", 0.5)
    assert hn.label == "half-normal(0.5) on tau"
    turner = resolve(PriorSpec("t", "turner2015"), outcome, comparison)
    assert (turner.family, turner.mean, turner.sd) == ("log_normal_tau2", -2.10, 1.58)
    assert turner.label == "Turner 2015 (adverse events): log-normal(-2.1, 1.58^2) on tau^2"
    explicit = resolve(PriorSpec("ln", "log_normal_tau2", mean=-3.0, sd=1.5), outcome, comparison)
    assert explicit.label == "log-normal(-3, 1.5^2) on tau^2"


def test_prior_family_selects_data_arrays():
    hn = resolve(PriorSpec("hn", "half_normal", scale=0.5), None, TURNER_COMPARISONS[1])
    assert hn.data_arrays()["tau_is_half_normal"] == 1.0
    ln = resolve(PriorSpec("ln", "log_normal_tau2", mean=-2.56, sd=1.74), None, "")
    assert ln.data_arrays()["tau_is_half_normal"] == 0.0
    assert ln.data_arrays()["tau_ln_sd"] == pytest.approx(1.74)
    with pytest.raises(PriorError, match="scale > 0"):
        HeterogeneityPrior("bad", "half_normal", "bad")
