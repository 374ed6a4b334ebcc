"""RIOTT's exact likelihood of imputed counts against brute-force two-dimensional integration.

The lattice-and-trapezoid computation is checked where it is most likely to break: arms with
every patient a responder (likelihood flat towards +inf), a pair far from the rest of the
evidence, and a heterogeneity SD so small that ``Normal(delta | d, tau)`` is narrower than a
lattice cell.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from hatmeta.riott import imputed

BASELINE_SD, EFFECT_SD = 5.0, 2.5
PAIRS = [(31, 11), (43, 11), (43, 42), (31, 42), (40, 30)]


def gauss_legendre(lo: float, hi: float, width: float, nodes: int = 10):
    """Composite Gauss-Legendre nodes and weights on ``[lo, hi]``, panels at most ``width``."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(lo, hi, max(1, int(np.ceil((hi - lo) / width))) + 1)
    half, middle = np.diff(edges)[:, None] / 2, (edges[:-1] + edges[1:])[:, None] / 2
    return (middle + half * x).ravel(), (half * w).ravel()


def brute_l(r_t, n_t, r_c, n_c, delta):
    """``L(delta)`` by adaptive quadrature over the baseline ``m``."""

    def integrand(m):
        return (
            stats.binom.pmf(r_t, n_t, special.expit(m + delta / 2))
            * stats.binom.pmf(r_c, n_c, special.expit(m - delta / 2))
            * stats.norm.pdf(m, 0, BASELINE_SD)
        )

    return integrate.quad(integrand, -60, 60, points=[0.0], limit=400, epsabs=0, epsrel=1e-10)[0]


def dense_l(r_t, r_c, deltas):
    """``L`` at many ``deltas`` at once: composite Gauss-Legendre over ``m`` (checked against
    :func:`brute_l` in the first test)."""
    m, w = gauss_legendre(-60, 60, 0.5)
    upper, lower = m[:, None] + deltas[None] / 2, m[:, None] - deltas[None] / 2
    log = (
        stats.binom.logpmf(r_t, 43, special.expit(upper))
        + stats.binom.logpmf(r_c, 42, special.expit(lower))
        + stats.norm.logpdf(m, 0, BASELINE_SD)[:, None]
    )
    return w @ np.exp(log)


def brute_w(r_t, r_c, d, tau):
    """``w(d, tau)``: the two-dimensional integral, ``delta`` by composite Gauss-Legendre on
    panels far narrower than both ``tau`` and the likelihood's width."""
    deltas, w = gauss_legendre(d - 12 * tau, d + 12 * tau, min(0.1, tau / 4))
    return float(np.sum(w * dense_l(r_t, r_c, deltas) * stats.norm.pdf(deltas, d, tau)))


@pytest.fixture(scope="module")
def likelihood():
    r_t = np.array(sorted({t for t, _ in PAIRS}))
    r_c = np.array(sorted({c for _, c in PAIRS}))
    return imputed.delta_likelihood(r_t, 43, r_c, 42, BASELINE_SD)


def column(likelihood, pair):
    i = int(np.flatnonzero(likelihood.r_treatment == pair[0])[0])
    j = int(np.flatnonzero(likelihood.r_control == pair[1])[0])
    return i * len(likelihood.r_control) + j


@pytest.mark.parametrize("pair", PAIRS)
def test_delta_likelihood_matches_adaptive_quadrature(likelihood, pair):
    k = column(likelihood, pair)
    for delta in (-4.0, 0.0, 1.6, 3.2, 8.0):
        g = int(np.argmin(np.abs(likelihood.deltas - delta)))
        exact = brute_l(pair[0], 43, pair[1], 42, likelihood.deltas[g])
        assert np.exp(likelihood.flat()[g, k]) == pytest.approx(exact, rel=1e-6), (pair, delta)
        assert dense_l(*pair, likelihood.deltas[g : g + 1])[0] == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize(("d", "tau"), [(1.2, 0.6), (0.4, 1e-3), (2.0, 0.05), (-1.0, 2.0)])
def test_weights_match_two_dimensional_integration(pair, d, tau):
    """Relative error 1e-4 or better, including tau far below the lattice step."""
    one = imputed.delta_likelihood([pair[0]], 43, [pair[1]], 42, BASELINE_SD)
    fast = imputed.integrated(one, np.array([d]), np.array([tau]))[0, 0]
    assert np.exp(fast) == pytest.approx(brute_w(*pair, d, tau), rel=1e-4), (pair, d, tau)


def test_a_large_trial_gets_a_finer_lattice_and_stays_exact():
    """DE2007's size (356/515 vs 276/500): its log OR is known to about 0.13."""
    step = imputed.lattice_step(356, 515, 276, 500)
    assert step == imputed.STEP / 4
    one = imputed.delta_likelihood([356], 515, [276], 500, BASELINE_SD, step)
    for d, tau in ((0.4, 1e-3), (0.4, 0.1), (1.0, 0.3)):
        fast = np.exp(imputed.integrated(one, np.array([d]), np.array([tau]))[0, 0])
        deltas, w = gauss_legendre(d - 12 * tau, d + 12 * tau, min(0.01, tau / 4))
        m, wm = gauss_legendre(-5, 5, 0.05)  # the likelihood of 1015 patients lives near 0.5
        log = (
            stats.binom.logpmf(356, 515, special.expit(m[:, None] + deltas[None] / 2))
            + stats.binom.logpmf(276, 500, special.expit(m[:, None] - deltas[None] / 2))
            + stats.norm.logpdf(m, 0, BASELINE_SD)[:, None]
        )
        exact = float(np.sum(w * (wm @ np.exp(log)) * stats.norm.pdf(deltas, d, tau)))
        assert fast == pytest.approx(exact, rel=1e-4), (d, tau)


def test_mixed_is_the_tau_weighted_sum_of_integrated(likelihood):
    d = likelihood.deltas[200:260:7]
    tau = np.array([1e-6, 0.2, 0.9, 2.5])
    weights = np.random.default_rng(0).random((len(d), len(tau)))
    together = imputed.mixed(likelihood, d, tau, weights)
    _, _, _, top = likelihood.pieces()
    for k, pair in enumerate(likelihood.pairs()):
        one = imputed.delta_likelihood([pair[0]], 43, [pair[1]], 42, BASELINE_SD)
        alone = np.exp(imputed.integrated(one, d, tau))
        assert together[:, k] * np.exp(top[k]) == pytest.approx((weights * alone).sum(1), rel=1e-9)


@pytest.mark.parametrize("pair", [(31, 11), (43, 42)])
def test_riott_alone_matches_quadrature(likelihood, pair):
    """RIOTT's own posterior CDF of delta under the effect prior, at lattice points."""
    k = column(likelihood, pair)
    cdf = imputed.riott_alone(likelihood, EFFECT_SD)[k]
    deltas, w = gauss_legendre(-10, 10, 0.04)  # panel edges on the lattice
    density = w * dense_l(*pair, deltas) * stats.norm.pdf(deltas, 0, EFFECT_SD)
    for x in (-1.0, 0.0, 1.0, 2.48):
        g = int(np.argmin(np.abs(likelihood.deltas - x)))
        exact = density[deltas <= likelihood.deltas[g]].sum() / density.sum()
        assert cdf[g] == pytest.approx(exact, abs=1e-5), (pair, x)
