"""hatmeta.distributions gives scipy.stats' numbers, bit for bit (it calls what they call)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hatmeta import distributions

PROBABILITIES = [0.0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.2, 0.5, 0.8, 0.975, 1 - 1e-12, 1.0]
POINTS = [-np.inf, -40.0, -3.2, -1.0, 0.0, 1e-9, 0.7, 1.96, 12.5, 300.0, np.inf, np.nan]
DEGREES = [1, 2, 3, 4.5, 9, 30, 1000]


def same(ours, theirs) -> None:
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    assert np.signbit(ours) == np.signbit(theirs) or np.isnan(ours)


@pytest.mark.parametrize("q", PROBABILITIES)
def test_normal_quantiles(q):
    same(distributions.normal_isf(q), stats.norm.isf(q))
    same(distributions.normal_ppf(q), stats.norm.ppf(q))


@pytest.mark.parametrize("df", DEGREES)
def test_student_t(df):
    for q in PROBABILITIES[1:-1]:  # 0 < q < 1, as documented
        same(distributions.t_isf(q, df), stats.t.isf(q, df))
    for x in POINTS:
        same(distributions.t_sf(x, df), stats.t.sf(x, df))


@pytest.mark.parametrize("df", DEGREES)
def test_chi_squared(df):
    for x in [0.0, 1e-9, 0.5, 1.0, 3.84, 17.3, 250.0, np.inf]:
        same(distributions.chi2_sf(x, df), stats.chi2.sf(x, df))
