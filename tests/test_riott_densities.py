"""The scipy.stats calls the RIOTT jobs replace (to spare its import) give the same numbers, bit
for bit, on the grids the jobs use and on random points."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hatmeta.riott import densities, testlevel

GRID = np.meshgrid(np.linspace(*testlevel.GRID_BETA), np.linspace(*testlevel.GRID_SIGMA))
POINTS = np.random.default_rng(11).uniform(-12, 12, 20000)


@pytest.mark.parametrize("sd", [testlevel.PRIOR_BETA_SD, 1.0, 0.7, 10.0])
def test_normal_logpdf(sd):
    for x in (GRID[0].ravel(), POINTS, np.linspace(-10, 10, 501)):
        assert np.array_equal(densities.normal_logpdf(x, sd), stats.norm.logpdf(x, 0, sd))


@pytest.mark.parametrize("scale", [testlevel.PRIOR_SIGMA_NEGATIVE_SCALE, 0.5, 2.0])
def test_half_normal_logpdf(scale):
    for x in (GRID[1].ravel(), np.abs(POINTS)):
        assert np.array_equal(
            densities.half_normal_logpdf(x, scale), stats.halfnorm.logpdf(x, scale=scale)
        )


@pytest.mark.parametrize("n", [1, 10, 42, 43])
def test_binomial(n):
    rng = np.random.default_rng(n)
    p = np.concatenate([rng.random(50000), rng.random(1000) ** 50, [0.0, 1e-300, 0.5, 1.0]])
    for k in range(-1, n + 2):
        if 0 <= k <= n:
            assert np.array_equal(densities.binomial_logpmf(k, n, p), stats.binom.logpmf(k, n, p))
        assert np.array_equal(densities.binomial_sf(k, n, p), stats.binom.sf(k, n, p)), k
        assert np.array_equal(densities.binomial_cdf(k, n, p), stats.binom.cdf(k, n, p)), k


def test_arm_posterior_matches_scipy_stats():
    """The whole log posterior of an arm, as fit_arms computed it with scipy.stats."""
    arm = testlevel.fit_arm(testlevel.ArmSetting(42, 11, 0.58, 1.0, 0.5), testlevel.TestingDesign())
    log_post = (
        stats.norm.logpdf(arm.beta, 0, testlevel.PRIOR_BETA_SD)
        + stats.halfnorm.logpdf(arm.sigma, scale=testlevel.PRIOR_SIGMA_NEGATIVE_SCALE)
        + stats.binom.logpmf(11, 42, np.clip(arm.primary, 1e-300, 1))
    )
    weight = np.exp(log_post - log_post.max())
    assert np.array_equal(arm.weight, weight / weight.sum())
