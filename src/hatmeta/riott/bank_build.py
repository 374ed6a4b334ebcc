"""The bank (:class:`hatmeta.riott.bank.Bank`): the pooled posterior under every possible pair
of RIOTT's responder counts, by quadrature.

One workflow job, with its own inputs (the analysis table, the model settings and the
analysis's primary prior), so that editing a missing-test scenario recomputes nothing here.

With each trial's own baseline and effect integrated out (:mod:`hatmeta.riott.imputed`), the
pooled random-effects model of :mod:`hatmeta.bayes.model` leaves a two-dimensional posterior::

    p(d, tau | data)  ~  Normal(d | 0, effect_sd) p(tau) x product over trials i of w_i(d, tau)

so it is tabulated exactly, up to quadrature error, on a grid of ``d`` (the ``delta`` lattice,
step 0.04, from -10 to 10) and ``tau`` (200 points over the prior's range, on the log scale for
a log-normal prior). The *base* is that posterior without RIOTT; RIOTT's counts set to a pair
multiply it by the pair's ``w``. For every pair an imputation can produce (each arm from its
published primary-rule count up to its size) the marginal posterior of ``d`` is kept as its CDF
on the grid (the *bank*), with RIOTT's own odds ratio under the pair.

Nothing here is sampled, so the bank carries no Monte Carlo error, and a scenario's pooled result
is a mixture of bank entries with the scenario's imputation frequencies
(:mod:`hatmeta.riott.propagation`): exact Bayesian multiple imputation. The tests compare it
with MCMC refits of the pooled model, one per imputed pair, through the engine.

Two checks guard the quadrature, and stop the job if they fail: the posterior mass in the outer
cells of the ``d`` grid and of the ``tau`` range, and the change in every pair's CDF when the
``tau`` grid is halved (its resolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hatmeta.data.tables import included_arms
from hatmeta.riott.bank import Bank
from hatmeta.riott.densities import normal_logpdf
from hatmeta.riott.imputed import (
    STEP,
    cumulative,
    delta_likelihood,
    integrated,
    lattice_step,
    mixed,
    riott_alone,
)

if TYPE_CHECKING:
    import pandas as pd

    from hatmeta.priors import HeterogeneityPrior
    from hatmeta.riott.settings import PriorScales

#: Points of the ``tau`` grid.
N_TAU = 200
#: Prior tail mass left out of the ``tau`` range at each end.
TAU_TAIL = 1e-10
#: Smallest ``tau`` on a grid that starts at 0: the kernel's limit there is ``L(d)``.
TAU_FLOOR = 1e-6
#: Limits of the two quadrature checks (module docstring).
EDGE_MASS_MAX = 1e-6
RESOLUTION_MAX = 1e-4


def tau_grid(prior: HeterogeneityPrior, n: int = N_TAU) -> tuple[np.ndarray, np.ndarray]:
    """``tau`` points and the log of (prior density x trapezoid weight) at each.

    The half-normal density is flat at 0, so a linear grid from 0 suits it; the log-normal
    density spans orders of magnitude near 0, so it is integrated over ``log(tau)``.
    """
    dist = prior.distribution()
    upper = dist.isf(TAU_TAIL)
    if prior.family == "half_normal":
        tau = np.linspace(0.0, upper, n)
        weight = np.full(n, tau[1] - tau[0])
        jacobian = np.ones(n)
    else:
        log_tau = np.linspace(np.log(dist.ppf(TAU_TAIL)), np.log(upper), n)
        tau = np.exp(log_tau)
        weight = np.full(n, log_tau[1] - log_tau[0])
        jacobian = tau
    weight[[0, -1]] /= 2
    return np.maximum(tau, TAU_FLOOR), dist.logpdf(tau) + np.log(weight * jacobian)


def _trial_counts(arms: pd.DataFrame) -> dict[str, tuple[int, int, int, int]]:
    """``trial -> (r_treatment, n_treatment, r_control, n_control)``."""
    out = {}
    for trial, rows in arms.groupby("trial", sort=False):
        by_role = rows.set_index("role")
        out[trial] = tuple(
            int(by_role.loc[role, column])
            for role in ("treatment", "control")
            for column in ("events", "total")
        )
    return out


@dataclass
class BankResult:
    bank: Bank
    checks: dict[str, Any]  # the grid, and the quadrature checks' values


def _posterior(
    d: np.ndarray, tau: np.ndarray, log_prior_tau: np.ndarray, others, scales: PriorScales
) -> np.ndarray:
    """The RIOTT-free posterior on ``d x tau`` (weights that sum to 1); ``others``: the other
    trials' likelihoods (:func:`delta_likelihood`)."""
    log_post = normal_logpdf(d, scales.effect_sd)[:, None] + log_prior_tau[None, :]
    for likelihood in others:
        log_post = log_post + integrated(likelihood, d, tau)
    weights = np.exp(log_post - log_post.max())
    return weights / weights.sum()


def _bank_cdf(riott, d, prior: HeterogeneityPrior, others, scales: PriorScales, n_tau: int):
    """Each pair's CDF of ``d``, and the base's mass on the edges of the grid."""
    tau, log_prior_tau = tau_grid(prior, n_tau)
    base = _posterior(d, tau, log_prior_tau, others, scales)
    density = mixed(riott, d, tau, base).T  # pairs x d
    cdf = cumulative(density, d[1] - d[0])
    # Mass in the outer cells: of d under every pair, and of tau in the base.
    d_edge = np.max(cdf[:, 1] + 1 - cdf[:, -2])
    tau_marginal = base.sum(axis=0)
    return cdf, {"d_edge_mass": float(d_edge), "tau_edge_mass": float(tau_marginal[-1])}


def _quadrature_problems(edges: dict[str, float], resolution: float) -> list[str]:
    problems = [
        f"{name.replace('_', ' ')} {value:.2g} above {EDGE_MASS_MAX:g}"
        for name, value in edges.items()
        if value > EDGE_MASS_MAX
    ]
    if resolution > RESOLUTION_MAX:
        problems.append(
            f"CDFs change by {resolution:.2g} when the tau grid is halved (limit "
            f"{RESOLUTION_MAX:g})"
        )
    return problems


def build_bank(
    table: pd.DataFrame, trial: str, prior: HeterogeneityPrior, scales: PriorScales, name: str
) -> BankResult:
    """The bank of pooled posteriors under every feasible pair of ``trial``'s counts, for the
    analysis ``name`` whose table is ``table``."""
    counts = _trial_counts(included_arms(table))
    if trial not in counts:
        raise ValueError(f"{trial} is not among the trials pooled in analysis '{name}'")
    r_t, n_t, r_c, n_c = counts.pop(trial)
    riott = delta_likelihood(
        np.arange(r_t, n_t + 1), n_t, np.arange(r_c, n_c + 1), n_c, scales.baseline_sd, STEP
    )
    d = riott.deltas
    # Each other trial's likelihood once, for both tau grids (it does not depend on tau).
    others = [
        delta_likelihood(*other, scales.baseline_sd, lattice_step(*other))
        for other in counts.values()
    ]
    cdf, edges = _bank_cdf(riott, d, prior, others, scales, N_TAU)
    coarse, _ = _bank_cdf(riott, d, prior, others, scales, N_TAU // 2)
    resolution = float(np.max(np.abs(cdf - coarse)))
    problems = _quadrature_problems(edges, resolution)
    if problems:
        raise ValueError(f"{name} without {trial}: quadrature check failed: " + "; ".join(problems))
    bank = Bank(
        pairs=riott.pairs(),
        x=d,
        cdf=cdf,
        deltas=riott.deltas,
        riott_cdf=riott_alone(riott, scales.effect_sd),
    )
    checks = {
        "analysis": name,
        "left_out": trial,
        "prior": prior.label,
        "trials": list(counts),
        "pairs": len(bank.pairs),
        "grid": {
            "d_step": round(float(d[1] - d[0]), 9),
            "d_limits": [float(d[0]), float(d[-1])],
            "tau_points": N_TAU,
        },
        "checks": edges | {"max_cdf_change_half_tau_grid": resolution},
    }
    return BankResult(bank, checks)
