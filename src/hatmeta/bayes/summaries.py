"""Posterior summaries of one fit: pooled and predictive effects, risks, probabilities, trials.

Intervals are ArviZ's equal-tailed intervals (``arviz_stats`` ``eti``); probabilities are
posterior means of indicators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import norm

from hatmeta.bayes import TRIAL_DIM
from hatmeta.intervals import CI_PROB, interval

if TYPE_CHECKING:
    from hatmeta.evidence_rules import Baseline


def _included_trials(tree: xr.DataTree) -> list[str]:
    """Trials with mask 1 in ``constant_data`` (all trials if the group is absent)."""
    posterior = tree["posterior"]
    if "constant_data" not in tree.children or "mask" not in tree["constant_data"]:
        return [str(t) for t in posterior[TRIAL_DIM].values]
    mask = tree["constant_data"]["mask"]
    return [str(t) for t, m in zip(mask[TRIAL_DIM].values, mask.values, strict=True) if m]


def reported_draws(tree: xr.DataTree) -> xr.Dataset:
    """The draws of every reported quantity: ``d``, ``tau``, ``delta_new``, and ``delta`` and
    ``mu`` of the included trials."""
    post = tree["posterior"].to_dataset()
    return post[["d", "tau", "delta", "delta_new", "mu"]].sel({TRIAL_DIM: _included_trials(tree)})


def at_baseline(log_odds_ratio, risk: float):
    """Risk ratio and risk difference of an odds ratio applied to the baseline ``risk``."""
    odds_ratio = np.exp(log_odds_ratio)
    treated = risk * odds_ratio / (1 - risk + risk * odds_ratio)
    return treated / risk, treated - risk


def log_odds_ratios(
    y_treatment: np.ndarray, n_treatment: np.ndarray, y_control: np.ndarray, n_control: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each trial's observed log odds ratio, its (Woolf) variance, and whether 0.5 was added to
    its cells (tables with a zero cell; the model never uses this correction)."""
    cells = np.stack(
        [y_treatment, n_treatment - y_treatment, y_control, n_control - y_control], axis=1
    ).astype(float)
    corrected = (cells == 0).any(axis=1)
    cells[corrected] += 0.5
    log_or = np.log(cells[:, 0] * cells[:, 3] / (cells[:, 1] * cells[:, 2]))
    return log_or, (1.0 / cells).sum(axis=1), corrected


def observed_odds_ratios(
    y_treatment: np.ndarray,
    n_treatment: np.ndarray,
    y_control: np.ndarray,
    n_control: np.ndarray,
    ci_prob: float = CI_PROB,
) -> pd.DataFrame:
    """Raw per-trial odds ratios with Wald intervals, for display next to shrunken estimates.

    A trial with a zero cell gets 0.5 added to all four cells *for display only*; the column
    ``corrected`` says so. The model never uses this correction.

    Returns
    -------
    pandas.DataFrame
        Columns ``OR``, ``lower``, ``upper``, ``corrected`` (bool), one row per trial.
    """
    log_or, variance, corrected = log_odds_ratios(y_treatment, n_treatment, y_control, n_control)
    se = np.sqrt(variance)
    z = float(norm.ppf(0.5 + ci_prob / 2.0))
    return pd.DataFrame(
        {
            "OR": np.exp(log_or),
            "lower": np.exp(log_or - z * se),
            "upper": np.exp(log_or + z * se),
            "corrected": corrected,
        }
    )


def interval_row(
    quantity: str, values, scale: str, ci_prob: float, note: str = ""
) -> dict[str, Any]:
    """One summary row: median, equal-tailed interval and mean of ``values``."""
    lower, median, upper = interval(values, ci_prob)
    return {
        "quantity": quantity,
        "median": median,
        "lower": lower,
        "upper": upper,
        "mean": float(np.asarray(values, dtype=float).mean()),
        "scale": scale,
        "note": note,
    }


def _probability_row(quantity: str, event, note: str) -> dict[str, Any]:
    # A posterior probability is a single number; an interval would be misleading here.
    return {
        "quantity": quantity,
        "median": np.nan,
        "lower": np.nan,
        "upper": np.nan,
        "mean": float(np.asarray(event, dtype=float).mean()),
        "scale": "probability",
        "note": note,
    }


def summarise(
    tree: xr.DataTree,
    *,
    higher_is_better: bool,
    relevant_or: float,
    baseline: Baseline | None = None,
    ci_prob: float = CI_PROB,
) -> pd.DataFrame:
    """Tidy posterior summary of one fit.

    Parameters
    ----------
    tree : xarray.DataTree
        Output of :meth:`hatmeta.bayes.sampling.ModelRunner.fit`.
    higher_is_better : bool
        Whether more events is the favourable direction (defines "benefit").
    relevant_or : float
        Clinically relevant odds ratio threshold ``t >= 1``, applied on the benefit side:
        ``OR > t`` if ``higher_is_better`` else ``OR < 1 / t``.
    baseline : Baseline, optional
        The control risk at which the pooled odds ratio gives ``RR`` and ``RD``
        (:mod:`hatmeta.evidence_rules`); without one there are no ``RR`` and ``RD`` rows.
    ci_prob : float, default 0.95
        Probability of the equal-tailed intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity``, ``median``, ``lower``, ``upper``, ``mean``, ``scale``, ``note``.
        Quantities: ``OR`` (pooled, ``exp(d)``), ``log_OR``, ``OR_predictive`` (new trial,
        ``exp(delta_new)``), ``tau``, ``baseline_risk``, ``RR`` and ``RD`` (at the baseline, when
        given), ``P(OR>1)``, ``P(benefit)``, ``P(clinically relevant benefit)`` (probabilities in
        ``mean``), then per included trial ``OR_shrunken[trial]`` (``exp(delta_i)``) and
        ``OR_observed[trial]`` (raw OR with Wald interval; see ``note`` for zero-cell
        display corrections).
    """
    if relevant_or < 1:
        raise ValueError("relevant_or is an OR >= 1; it is mirrored for harmful-event outcomes")
    draws = reported_draws(tree)
    odds_ratio = np.exp(draws["d"])
    benefit = odds_ratio > 1 if higher_is_better else odds_ratio < 1
    relevant = odds_ratio > relevant_or if higher_is_better else odds_ratio < 1 / relevant_or
    side = f"OR > {relevant_or:g}" if higher_is_better else f"OR < 1/{relevant_or:g}"
    rows = [
        interval_row("OR", odds_ratio, "ratio", ci_prob),
        interval_row("log_OR", draws["d"], "log ratio", ci_prob),
        interval_row("OR_predictive", np.exp(draws["delta_new"]), "ratio", ci_prob, "new trial"),
        interval_row("tau", draws["tau"], "sd of log OR", ci_prob),
    ]
    if baseline is not None:
        risk_ratio, risk_difference = at_baseline(draws["d"], baseline.risk)
        note = f"at a baseline risk of {baseline.risk:.3g} ({baseline.source})"
        rows += [
            {
                "quantity": "baseline_risk",
                "median": baseline.risk,
                "lower": np.nan,
                "upper": np.nan,
                "mean": baseline.risk,
                "scale": "risk",
                "note": baseline.source,
            },
            interval_row("RR", risk_ratio, "ratio", ci_prob, note),
            interval_row("RD", risk_difference, "difference", ci_prob, note),
        ]
    rows += [
        _probability_row("P(OR>1)", odds_ratio > 1, "OR > 1"),
        _probability_row("P(benefit)", benefit, "OR > 1" if higher_is_better else "OR < 1"),
        _probability_row("P(clinically relevant benefit)", relevant, side),
    ]
    trials = [str(t) for t in draws[TRIAL_DIM].values]
    for trial in trials:
        rows.append(
            interval_row(
                f"OR_shrunken[{trial}]",
                np.exp(draws["delta"].sel({TRIAL_DIM: trial})),
                "ratio",
                ci_prob,
            )
        )
    rows.extend(_observed_rows(tree, trials, ci_prob))
    return pd.DataFrame(rows)


def _observed_rows(tree: xr.DataTree, trials: list[str], ci_prob: float) -> list[dict[str, Any]]:
    if "observed_data" not in tree.children or "constant_data" not in tree.children:
        return []
    obs = tree["observed_data"].to_dataset().sel({TRIAL_DIM: trials})
    const = tree["constant_data"].to_dataset().sel({TRIAL_DIM: trials})
    table = observed_odds_ratios(
        obs["y_treatment"].values,
        const["n_treatment"].values,
        obs["y_control"].values,
        const["n_control"].values,
        ci_prob,
    )
    rows = []
    for trial, rec in zip(trials, table.itertuples(index=False), strict=True):
        note = (
            "observed; 0.5 added to all cells for display (zero cell)"
            if rec.corrected
            else ("observed")
        )
        rows.append(
            {
                "quantity": f"OR_observed[{trial}]",
                "median": rec.OR,
                "lower": rec.lower,
                "upper": rec.upper,
                "mean": np.nan,
                "scale": "ratio",
                "note": note,
            }
        )
    return rows


def pooled_summary(tree: xr.DataTree, ci_prob: float = CI_PROB) -> dict[str, float]:
    """Pooled OR (median and interval), median tau and P(OR > 1): one leave-one-out row."""
    draws = reported_draws(tree)
    odds_ratio = np.exp(draws["d"].values.ravel())
    lower, median, upper = interval(odds_ratio, ci_prob)
    return {
        "OR_median": median,
        "OR_lower": lower,
        "OR_upper": upper,
        "tau_median": float(np.median(draws["tau"].values)),
        "P(OR>1)": float(np.mean(odds_ratio > 1)),
    }
