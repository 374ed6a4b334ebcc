"""Summaries of a network fit: league table, effects against the reference, ranks and SUCRA,
heterogeneity, and the fit of the fixed- and random-effects models (residual deviance, DIC, LOO).

Every input is a labelled network posterior (:func:`hatmeta.bayes.network.label_network`);
intervals are ArviZ's equal-tailed intervals (:func:`hatmeta.intervals.interval`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit, xlogy

from hatmeta.intervals import CI_PROB, interval

#: What belongs beside rank probabilities and SUCRA wherever they are shown.
RANKING_CAUTION = (
    "Rank probabilities and SUCRA condense each treatment's posterior into one ordering: they do "
    "not show how large the differences between treatments are or how uncertain, a treatment "
    "with few data can rank first or last by imprecision alone, and a high rank is not evidence "
    "of a meaningful benefit. Read them with the league table's odds ratios and intervals."
)


def basic_draws(tree: xr.DataTree) -> tuple[list[str], np.ndarray]:
    """Treatments (reference first) and the draws of their basic parameters, ``(draws, T)``."""
    d = tree["posterior"]["d"].to_dataset()["d"]
    treatments = [str(t) for t in d["treatment"].values]
    return treatments, d.transpose("chain", "draw", "treatment").values.reshape(-1, len(treatments))


def league_table(tree: xr.DataTree, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Every pairwise odds ratio: ``treatment`` against ``comparator``, ``exp(d_t - d_c)``.

    Returns
    -------
    pandas.DataFrame
        One row per ordered pair of distinct treatments: ``treatment``, ``comparator``,
        ``OR_median``, ``OR_lower``, ``OR_upper``, ``log_OR_median``, ``P(OR>1)``. An odds ratio
        above 1 means more events with ``treatment``.
    """
    treatments, d = basic_draws(tree)
    rows = []
    for i, treatment in enumerate(treatments):
        for j, comparator in enumerate(treatments):
            if i == j:
                continue
            log_or = d[:, i] - d[:, j]
            lower, median, upper = interval(np.exp(log_or), ci_prob)
            rows.append(
                {
                    "treatment": treatment,
                    "comparator": comparator,
                    "OR_median": median,
                    "OR_lower": lower,
                    "OR_upper": upper,
                    "log_OR_median": float(np.median(log_or)),
                    "P(OR>1)": float(np.mean(log_or > 0)),
                }
            )
    return pd.DataFrame(rows)


def versus_reference(tree: xr.DataTree, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Each treatment against the network's reference (the league table's reference column)."""
    reference = tree.attrs["reference"]
    table = league_table(tree, ci_prob)
    return table[table["comparator"] == reference].reset_index(drop=True)


def rankings(
    d: np.ndarray, treatments: list[str], higher_is_better: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank probabilities and SUCRA from draws of the basic parameters.

    Parameters
    ----------
    d : numpy.ndarray
        Draws ``(n, T)`` of the treatments' log-odds against a common reference.
    treatments : list of str
        The ``T`` treatments.
    higher_is_better : bool
        Whether more events is the favourable direction. Rank 1 is the best treatment: the
        largest ``d`` if ``higher_is_better``, the smallest otherwise.

    Returns
    -------
    probabilities : pandas.DataFrame
        ``P(rank = r)`` for each treatment (rows) and rank ``r = 1..T`` (columns).
    sucra : pandas.DataFrame
        Per treatment: ``SUCRA`` (the surface under the cumulative ranking curve, Salanti et al.
        2011: ``sum_{r<T} P(rank <= r) / (T - 1)``, 1 for certainly best, 0 for certainly
        worst), ``mean_rank``, ``median_rank``, ``P(best)`` and ``best_is`` (the direction, in
        words: "most events" or "fewest events").
    """
    n_draws, n = d.shape
    score = d if higher_is_better else -d
    # Rank 1 + the number of treatments with a higher score, draw by draw.
    order = np.argsort(-score, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, n + 1)[None, :].repeat(n_draws, 0), axis=1)
    probabilities = np.stack([(ranks == r).mean(axis=0) for r in range(1, n + 1)], axis=1)
    cumulative = probabilities.cumsum(axis=1)
    frame = pd.DataFrame(probabilities, index=treatments, columns=range(1, n + 1))
    frame.index.name, frame.columns.name = "treatment", "rank"
    sucra = pd.DataFrame(
        {
            "treatment": treatments,
            "SUCRA": cumulative[:, :-1].sum(axis=1) / (n - 1),
            "mean_rank": ranks.mean(axis=0),
            "median_rank": np.median(ranks, axis=0),
            "P(best)": probabilities[:, 0],
            "best_is": "most events" if higher_is_better else "fewest events",
        }
    )
    return frame, sucra


def rank_summary(tree: xr.DataTree, higher_is_better: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`rankings` of a network fit's basic parameters."""
    treatments, d = basic_draws(tree)
    return rankings(d, treatments, higher_is_better)


def heterogeneity_summary(tree: xr.DataTree, ci_prob: float = CI_PROB) -> dict[str, Any]:
    """``tau`` (between-trial sd of the log odds ratios, common to every comparison): median
    and interval, with the prior it was fitted under; 0 for a fixed-effect fit."""
    post = tree["posterior"]
    if "tau" not in post:
        return {
            "model": tree.attrs["model"],
            "median": 0.0,
            "lower": 0.0,
            "upper": 0.0,
            "prior": tree.attrs["prior_label"],
        }
    lower, median, upper = interval(post["tau"].values, ci_prob)
    return {
        "model": tree.attrs["model"],
        "median": median,
        "lower": lower,
        "upper": upper,
        "prior": tree.attrs["prior_label"],
    }


def residual_deviance(eta: np.ndarray, events: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Each arm's binomial residual deviance at log-odds ``eta`` (TSD 2, section 3.1):
    ``2 [y log(y / yhat) + (n - y) log((n - y) / (n - yhat))]`` with ``yhat = n p``."""
    fitted = total * expit(eta)
    rest = total - events
    return 2.0 * (
        xlogy(events, events)
        - xlogy(events, fitted)
        + xlogy(rest, rest)
        - xlogy(rest, total - fitted)
    )


@dataclass(frozen=True)
class ModelFit:
    """How well one network model fits: TSD 2's residual deviance and DIC, and PSIS-LOO."""

    model: str
    data_points: int
    residual_deviance: float
    p_d: float
    dic: float
    elpd_loo: float
    elpd_loo_se: float
    p_loo: float
    high_pareto_k: int
    pareto_k_threshold: float
    pointwise_elpd: np.ndarray

    def row(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "pointwise_elpd"}


def model_fit(tree: xr.DataTree) -> ModelFit:
    """Residual deviance, effective parameters and DIC as in TSD 2 (``pD`` = posterior mean
    residual deviance minus the deviance at the posterior mean of the fitted probabilities),
    and ArviZ's PSIS-LOO on the arms' log-likelihood, with the number of arms whose Pareto
    ``k`` exceeds ArviZ's threshold (their LOO terms are unreliable)."""
    import arviz_stats as azs

    eta = tree["posterior"]["eta"].to_dataset()["eta"].transpose("chain", "draw", "arm").values
    events = tree["observed_data"]["obs"].values
    total = tree["constant_data"]["total"].values
    flat = eta.reshape(-1, eta.shape[-1])
    deviance = residual_deviance(flat, events, total).sum(axis=1).mean()
    p_mean = expit(flat).mean(axis=0)
    at_mean = residual_deviance(np.log(p_mean) - np.log1p(-p_mean), events, total).sum()
    with warnings.catch_warnings():
        # ArviZ warns of high Pareto k; the count of such arms is reported instead.
        warnings.simplefilter("ignore", UserWarning)
        loo = azs.loo(tree, pointwise=True, var_name="obs")
    k = np.asarray(loo.pareto_k).ravel()
    return ModelFit(
        model=tree.attrs["model"],
        data_points=int(events.size),
        residual_deviance=float(deviance),
        p_d=float(deviance - at_mean),
        dic=float(2 * deviance - at_mean),
        elpd_loo=float(loo.elpd),
        elpd_loo_se=float(loo.se),
        p_loo=float(loo.p),
        high_pareto_k=int((k > loo.good_k).sum()),
        pareto_k_threshold=float(loo.good_k),
        pointwise_elpd=np.asarray(loo.elpd_i).ravel(),
    )


def compare_fits(random: ModelFit, fixed: ModelFit) -> pd.DataFrame:
    """The random- and fixed-effects models side by side, with the differences (random minus
    fixed) in DIC and in ELPD (with its standard error from the arms' pointwise differences).

    TSD 2 reads a DIC difference of more than about 3 to 5 points as a meaningful difference in
    fit; an ELPD difference is meaningful when it is large beside its standard error.
    """
    difference = random.pointwise_elpd - fixed.pointwise_elpd
    table = pd.DataFrame([random.row(), fixed.row()])
    table["DIC_minus_fixed"] = table["dic"] - fixed.dic
    table["elpd_minus_fixed"] = table["elpd_loo"] - fixed.elpd_loo
    table["elpd_minus_fixed_se"] = [
        float(np.sqrt(difference.size * difference.var())),
        0.0,
    ]
    return table
