"""Exact (quadrature) posterior of the normal-normal random-effects model, as in bayesmeta.

Model::

    y_i | theta_i ~ Normal(theta_i, se_i),   theta_i ~ Normal(d, tau),
    d ~ Normal(0, effect_sd),                 tau ~ half-normal or log-normal on tau^2.

Given ``tau`` everything is Gaussian, so the posterior is computed exactly up to one-dimensional
quadrature over ``tau`` (Röver 2020, bayesmeta):

* ``p(y | tau)`` is multivariate normal with mean 0 and covariance
  ``diag(se^2 + tau^2) + effect_sd^2 * 1 1^T``; its density is evaluated in closed form with the
  matrix determinant lemma and the Sherman-Morrison identity (no matrices are built);
* ``p(tau | y) ∝ p(tau) p(y | tau)`` on a fine grid;
* ``p(d | tau, y)`` is normal with precision ``1 / effect_sd^2 + sum(w)`` and mean
  ``sum(w y) / precision``, where ``w_i = 1 / (se_i^2 + tau^2)``;
* ``p(d | y)`` is the mixture of these normals weighted by the quadrature weights of
  ``p(tau | y)``.

Quantiles are found by numerically inverting the CDFs. The tests check this module against
brute-force integration and against the sampled normal-normal model
(``tests/oracles/normal_model.py``); every analysis shows it beside its binomial fit
(:func:`cross_check`), so that a reviewer sees what the normal approximation of each trial's
likelihood would have given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import integrate, optimize, stats

__all__ = [
    "ExactPosterior",
    "TauPriorSpec",
    "exact_posterior",
    "tau_prior_distribution",
]

DEFAULT_PROBS = (0.025, 0.5, 0.975)
# Prior tail mass left outside the tau grid on each side; far below any Monte Carlo error.
_TAIL_MASS = 1e-12


class TauPriorSpec(Protocol):
    """What this module needs from a heterogeneity prior.

    :class:`hatmeta.priors.HeterogeneityPrior` satisfies it.
    """

    family: str
    scale: float | None
    mean: float | None
    sd: float | None


def tau_prior_distribution(prior: TauPriorSpec) -> stats.rv_continuous:
    """Return the prior of ``tau`` as a frozen scipy distribution.

    Parameters
    ----------
    prior : TauPriorSpec
        ``family == "half_normal"`` uses ``scale``; ``family == "log_normal_tau2"`` uses
        ``mean`` and ``sd`` of ``log(tau^2)``.

    Returns
    -------
    scipy.stats frozen distribution
        ``halfnorm(scale)``, or ``lognorm`` for ``tau``: ``log(tau^2) ~ N(mean, sd)`` means
        ``log(tau) ~ N(mean / 2, sd / 2)``.
    """
    if prior.family == "half_normal":
        return stats.halfnorm(scale=prior.scale)
    if prior.family == "log_normal_tau2":
        return stats.lognorm(s=prior.sd / 2.0, scale=np.exp(prior.mean / 2.0))
    raise ValueError(f"unknown heterogeneity prior family {prior.family!r}")


def _tau_grid(prior: TauPriorSpec, n_grid: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a tau grid and d(tau)/dx for the integration variable x.

    Why two scales: the half-normal density is flat at 0, so a linear grid from 0 is accurate;
    the log-normal density spans orders of magnitude near 0, so it is integrated over log(tau).
    """
    dist = tau_prior_distribution(prior)
    upper = dist.isf(_TAIL_MASS)
    if prior.family == "half_normal":
        tau = np.linspace(0.0, upper, n_grid)
        return tau, np.ones_like(tau)
    log_tau = np.linspace(np.log(dist.ppf(_TAIL_MASS)), np.log(upper), n_grid)
    tau = np.exp(log_tau)
    return tau, tau


def _log_marginal_likelihood(
    y: np.ndarray, se: np.ndarray, tau: np.ndarray, effect_sd: float
) -> np.ndarray:
    """Log density of N(y | 0, diag(se^2 + tau^2) + effect_sd^2 11^T) for each tau (vectorised)."""
    w = 1.0 / (se[None, :] ** 2 + tau[:, None] ** 2)
    s2 = effect_sd**2
    sum_w = w.sum(axis=1)
    sum_wy = (w * y[None, :]).sum(axis=1)
    one_plus = 1.0 + s2 * sum_w
    # Matrix determinant lemma and Sherman-Morrison for D + s2 * 11^T with D = diag(1 / w).
    log_det = -np.log(w).sum(axis=1) + np.log(one_plus)
    quad = (w * y[None, :] ** 2).sum(axis=1) - s2 * sum_wy**2 / one_plus
    return -0.5 * (y.size * np.log(2.0 * np.pi) + log_det + quad)


def _conditional_d(
    y: np.ndarray, se: np.ndarray, tau: np.ndarray, effect_sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Conjugate mean and sd of d given tau and y, for each tau on the grid."""
    w = 1.0 / (se[None, :] ** 2 + tau[:, None] ** 2)
    precision = 1.0 / effect_sd**2 + w.sum(axis=1)
    mean = (w * y[None, :]).sum(axis=1) / precision
    return mean, 1.0 / np.sqrt(precision)


def _invert_cdf(cdf, p: float, lo: float, hi: float) -> float:
    """Solve cdf(x) = p on [lo, hi] to near machine precision."""
    return optimize.brentq(lambda x: cdf(x) - p, lo, hi, xtol=1e-12, rtol=1e-12)


@dataclass(frozen=True)
class ExactPosterior:
    """Grid representation of the exact posterior.

    Attributes
    ----------
    tau : numpy.ndarray
        Grid of tau values.
    tau_density : numpy.ndarray
        Normalised posterior density of tau on the grid.
    tau_cdf : numpy.ndarray
        Posterior CDF of tau on the grid (trapezoidal integration of the density).
    weights : numpy.ndarray
        Mixture weights of the grid points (sum to 1), used for the marginal of d.
    d_mean_given_tau, d_sd_given_tau : numpy.ndarray
        Conditional posterior mean and sd of d at each grid point.
    """

    tau: np.ndarray
    tau_density: np.ndarray
    tau_cdf: np.ndarray
    weights: np.ndarray
    d_mean_given_tau: np.ndarray
    d_sd_given_tau: np.ndarray

    @property
    def d_mean(self) -> float:
        """Posterior mean of d."""
        return float(np.sum(self.weights * self.d_mean_given_tau))

    @property
    def tau_mean(self) -> float:
        """Posterior mean of tau."""
        return float(np.sum(self.weights * self.tau))

    def d_cdf(self, x: float) -> float:
        """Posterior CDF of d at ``x`` (normal mixture over the tau grid)."""
        z = (x - self.d_mean_given_tau) / self.d_sd_given_tau
        return float(np.sum(self.weights * stats.norm.cdf(z)))

    def d_quantile(self, p: float) -> float:
        """Posterior quantile of d by inverting the mixture CDF."""
        lo = float(np.min(self.d_mean_given_tau - 40.0 * self.d_sd_given_tau))
        hi = float(np.max(self.d_mean_given_tau + 40.0 * self.d_sd_given_tau))
        return _invert_cdf(self.d_cdf, p, lo, hi)

    def tau_quantile(self, p: float) -> float:
        """Posterior quantile of tau by inverting the grid CDF (linear interpolation)."""
        # The CDF is non-decreasing but flat where the density underflows; keep the first
        # grid point of every CDF value so that interpolation is well defined.
        cdf, first = np.unique(self.tau_cdf, return_index=True)
        return float(np.interp(p, cdf, self.tau[first]))

    def summary(self, probs: tuple[float, float, float] = DEFAULT_PROBS) -> pd.DataFrame:
        """Return mean and quantiles of d and tau.

        Parameters
        ----------
        probs : tuple of float
            Lower, middle and upper probabilities.

        Returns
        -------
        pandas.DataFrame
            Columns ``quantity`` (``"d"``, ``"tau"``), ``mean``, ``lower``, ``median``, ``upper``.
        """
        rows = []
        for name, mean, quantile in (
            ("d", self.d_mean, self.d_quantile),
            ("tau", self.tau_mean, self.tau_quantile),
        ):
            lower, median, upper = (quantile(p) for p in probs)
            rows.append(
                {"quantity": name, "mean": mean, "lower": lower, "median": median, "upper": upper}
            )
        return pd.DataFrame(rows)


def exact_posterior(
    y: np.ndarray,
    se: np.ndarray,
    prior: TauPriorSpec,
    effect_sd: float,
    n_grid: int = 20_001,
) -> ExactPosterior:
    """Compute the exact posterior of the normal-normal model on a tau grid.

    Parameters
    ----------
    y, se : array_like
        Study estimates (e.g. log risk ratios) and their standard errors.
    prior : TauPriorSpec
        Heterogeneity prior (half-normal on tau or log-normal on tau^2).
    effect_sd : float
        Standard deviation of the Normal(0, effect_sd) prior on d.
    n_grid : int, default 20001
        Number of grid points. The grid covers the prior's central ``1 - 2e-12`` mass.

    Returns
    -------
    ExactPosterior
        Grid posterior with methods for means, CDFs and quantiles.
    """
    y = np.asarray(y, dtype=float)
    se = np.asarray(se, dtype=float)
    if y.shape != se.shape or y.ndim != 1 or y.size == 0:
        raise ValueError("y and se must be non-empty 1-d arrays of equal length")
    if np.any(se <= 0) or effect_sd <= 0:
        raise ValueError("standard errors and effect_sd must be positive")
    tau, jacobian = _tau_grid(prior, n_grid)
    log_post = tau_prior_distribution(prior).logpdf(tau) + _log_marginal_likelihood(
        y, se, tau, effect_sd
    )
    # Work in the integration variable x (tau or log tau) so the grid is uniform in x.
    x = np.log(tau) if prior.family == "log_normal_tau2" else tau
    unnorm = np.exp(log_post - np.max(log_post)) * jacobian
    cdf_x = integrate.cumulative_trapezoid(unnorm, x, initial=0.0)
    total = cdf_x[-1]
    # Trapezoidal weights, so that mixture sums equal the same quadrature as the CDF.
    dx = np.diff(x)
    weights = np.zeros_like(x)
    weights[:-1] += dx / 2.0
    weights[1:] += dx / 2.0
    weights *= unnorm / total
    d_mean, d_sd = _conditional_d(y, se, tau, effect_sd)
    return ExactPosterior(
        tau=tau,
        tau_density=unnorm / total / jacobian,
        tau_cdf=cdf_x / total,
        weights=weights,
        d_mean_given_tau=d_mean,
        d_sd_given_tau=d_sd,
    )


def cross_check(
    log_or: np.ndarray,
    variance: np.ndarray,
    prior: TauPriorSpec,
    effect_sd: float,
    higher_is_better: bool,
) -> list[dict[str, object]]:
    """The exact normal-normal posterior of one analysis beside its binomial fit: summary rows
    ``OR_normal_normal`` (median and 95% interval) and ``P(benefit)_normal_normal``, from each
    trial's observed log odds ratio and variance (0.5 added to zero cells) and the same priors.

    Where the two disagree, the normal approximation of a trial's likelihood is poor (small or
    zero counts): the binomial model is the one the report's results come from.
    """
    posterior = exact_posterior(log_or, np.sqrt(variance), prior, effect_sd)
    lower, median, upper = (posterior.d_quantile(p) for p in DEFAULT_PROBS)
    below = posterior.d_cdf(0.0)
    note = "exact normal-normal posterior of the observed log ORs (cross-check)"
    return [
        {
            "quantity": "OR_normal_normal",
            "median": np.exp(median),
            "lower": np.exp(lower),
            "upper": np.exp(upper),
            "mean": np.nan,
            "scale": "ratio",
            "note": note,
        },
        {
            "quantity": "P(benefit)_normal_normal",
            "median": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "mean": 1 - below if higher_is_better else below,
            "scale": "probability",
            "note": note,
        },
    ]
