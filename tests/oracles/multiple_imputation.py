"""Brute-force Bayesian multiple imputation of RIOTT's counts: one MCMC refit per imputed pair.

The oracle for :mod:`hatmeta.riott.propagation`: the pooled model is refitted through the engine
with RIOTT's responder counts set to each distinct imputed pair, and the scenario's pooled
posterior is the mixture of those refits with the pairs' imputation frequencies. Nothing is
shared with the fast path but the engine and the imputed counts: no base posterior, no
importance weights, no quadrature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from arviz_stats.base import array_stats


@dataclass
class MixtureCheck:
    """The brute-force mixture's results and their Monte Carlo standard errors."""

    p_benefit: float
    p_benefit_se: float
    log_or_median: float
    log_or_median_se: float
    density_at_median: float  # of the mixture, to turn a CDF's error into the median's
    refits: int


def brute_force(
    stage, data, prior, trial: str, imputations: pd.DataFrame, higher_is_better: bool
) -> MixtureCheck:
    """Refit every distinct pair of ``imputations`` (columns r_heroin, r_methadone, draws)."""
    share = imputations["draws"].to_numpy(float) / imputations["draws"].sum()
    draws, p, variance_p, ess = [], [], [], []
    for r_t, r_c in imputations[["r_heroin", "r_methadone"]].to_numpy():
        fit = stage.sample(data.with_counts(trial, int(r_t), int(r_c)), prior, f"{r_t}/{r_c}")
        d = np.asarray(fit.tree["posterior"]["d"])  # chains x draws
        benefit = (d > 0) if higher_is_better else (d < 0)
        n_eff = float(array_stats.ess(benefit.astype(float), method="bulk"))
        draws.append(d.ravel())
        p.append(benefit.mean())
        variance_p.append(benefit.mean() * (1 - benefit.mean()) / n_eff)
        ess.append(float(array_stats.ess(d, method="bulk")))
    p_benefit = float(np.dot(share, p))
    # The mixture's median: where the share-weighted mixture of empirical CDFs crosses 1/2.
    grid = np.linspace(min(x.min() for x in draws), max(x.max() for x in draws), 20001)
    cdf = sum(
        w * np.searchsorted(np.sort(x), grid, side="right") / len(x)
        for w, x in zip(share, draws, strict=True)
    )
    median = float(np.interp(0.5, cdf, grid))
    density = sum(w * _density_at(x, median) for w, x in zip(share, draws, strict=True))
    # Asymptotic SE of a quantile: sqrt(p (1 - p) / ESS) / density, per independent refit.
    se_median = float(
        np.sqrt(sum((w / density) ** 2 * 0.25 / n for w, n in zip(share, ess, strict=True)))
    )
    return MixtureCheck(
        p_benefit=p_benefit,
        p_benefit_se=float(np.sqrt(np.dot(share**2, variance_p))),
        log_or_median=median,
        log_or_median_se=se_median,
        density_at_median=float(density),
        refits=len(share),
    )


def _density_at(x: np.ndarray, point: float) -> float:
    """Kernel density of draws ``x`` at ``point`` (Silverman's bandwidth)."""
    h = 1.06 * x.std() * len(x) ** -0.2
    return float(np.mean(np.exp(-0.5 * ((x - point) / h) ** 2)) / (h * np.sqrt(2 * np.pi)))
