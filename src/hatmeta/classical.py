"""Classical (frequentist) reproduction: Mantel-Haenszel and DerSimonian-Laird via statsmodels.

These are the numbers a Cochrane-style review would report; they sit next to the Bayesian results
as a yardstick. All estimators come from statsmodels; this module only arranges the 2x2 tables
and the output.

Zero cells
----------
* ``StratifiedTable(tables, shift_zeros=True)`` (Mantel-Haenszel) adds 0.5 to all four cells
  of every table that has a zero cell; with ``shift_zeros=False`` a table with a zero cell
  enters the MH sums as is, so an estimate may be 0 or infinite (e.g. a single trial with no
  events in one arm).
* ``effectsize_2proportions(..., zero_correction=0.5)`` (per-trial effects for DL) adds 1 to
  the totals of both arms of every trial with a zero *or full* arm (``events == 0`` or
  ``events == total``), but adds 0.5 to the events of *every* trial, which would shift trials
  without zero cells (e.g. CA2009's retention RR 1.625 would become 1.619). We therefore call it
  with the correction only for the trials that have a zero cell, so exactly those tables get
  0.5 in every cell. With ``zero_correction=None`` such trials get infinite log ratios.

Both defaults below (add 0.5 to tables with a zero cell) follow the usual RevMan convention.
The Bayesian model never uses a correction.

Known statsmodels 0.15 behaviour handled here
---------------------------------------------
``combine_effects(..., method_re="dl")`` does not truncate the DerSimonian-Laird estimate
``tau^2 = (Q - df) / c`` at zero, and its ``i2 = 1 - df / Q`` is not truncated either. When
``Q < df`` the standard estimator sets ``tau^2 = 0``, in which case the random-effects estimate
equals the inverse-variance fixed-effect estimate; :func:`dersimonian_laird` therefore reports
statsmodels' fixed-effect row as the random-effects result with ``tau2 = 0`` and ``I2 = 0``
(column ``tau2_truncated`` says so). With a single trial there is no heterogeneity to estimate;
the random-effects row then equals the trial itself and Q, I^2, tau^2 are NaN.

``StratifiedTable`` offers ``riskratio_pooled`` but no confidence interval for it in 0.15 (only
``oddsratio_pooled_confint``); the MH risk ratio is therefore reported without an interval rather
than with a hand-written variance formula.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import combine_effects, effectsize_2proportions

__all__ = [
    "ClassicalResults",
    "DLResult",
    "classical_meta_analysis",
    "dersimonian_laird",
    "mantel_haenszel",
    "two_by_two",
]

Statistic = Literal["risk-ratio", "odds-ratio"]
_MEASURE = {"risk-ratio": "RR", "odds-ratio": "OR"}


def two_by_two(arms: pd.DataFrame) -> pd.DataFrame:
    """Turn the tidy arm table into one row per trial.

    Parameters
    ----------
    arms : pandas.DataFrame
        Columns ``trial``, ``role`` (``"treatment"``/``"control"``), ``events``, ``total``.

    Returns
    -------
    pandas.DataFrame
        Columns ``trial``, ``events_treatment``, ``total_treatment``, ``events_control``,
        ``total_control``, in order of first appearance of each trial.
    """
    missing = {"trial", "role", "events", "total"} - set(arms.columns)
    if missing:
        raise ValueError(f"arm table lacks columns {sorted(missing)}")
    if arms.duplicated(["trial", "role"]).any():
        raise ValueError("each trial needs exactly one row per role")
    order = list(pd.unique(arms["trial"]))
    wide = arms.pivot(index="trial", columns="role", values=["events", "total"]).loc[order]
    if wide.isna().any().any() or set(wide.columns.get_level_values(1)) != {
        "treatment",
        "control",
    }:
        raise ValueError("each trial needs one treatment and one control row")
    return pd.DataFrame(
        {
            "trial": [str(t) for t in order],
            "events_treatment": wide[("events", "treatment")].to_numpy(dtype=int),
            "total_treatment": wide[("total", "treatment")].to_numpy(dtype=int),
            "events_control": wide[("events", "control")].to_numpy(dtype=int),
            "total_control": wide[("total", "control")].to_numpy(dtype=int),
        }
    )


def _tables(wide: pd.DataFrame) -> np.ndarray:
    """2x2xk array: rows treatment/control, columns event/no event."""
    a = wide["events_treatment"].to_numpy(dtype=float)
    b = wide["total_treatment"].to_numpy(dtype=float) - a
    c = wide["events_control"].to_numpy(dtype=float)
    d = wide["total_control"].to_numpy(dtype=float) - c
    return np.array([[a, b], [c, d]])


def mantel_haenszel(
    arms: pd.DataFrame, *, shift_zeros: bool = True, alpha: float = 0.05
) -> pd.DataFrame:
    """Mantel-Haenszel fixed-effect risk ratio and odds ratio (statsmodels ``StratifiedTable``).

    Parameters
    ----------
    arms : pandas.DataFrame
        Tidy arm table (see :func:`two_by_two`).
    shift_zeros : bool, default True
        Passed to ``StratifiedTable``: add 0.5 to every cell of tables with a zero cell.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        Rows ``RR`` and ``OR``; columns ``method`` (``"MH fixed"``), ``measure``,
        ``estimate``, ``lower``, ``upper`` (NaN for RR, see module notes), ``n_trials``.
    """
    wide = two_by_two(arms)
    table = StratifiedTable(_tables(wide), shift_zeros=shift_zeros)
    with warnings.catch_warnings():
        # A lone zero-cell table without shift gives 0/inf estimates; NaN is the honest output.
        warnings.simplefilter("ignore", RuntimeWarning)
        or_lower, or_upper = table.oddsratio_pooled_confint(alpha=alpha)
        rows = [
            ("RR", table.riskratio_pooled, np.nan, np.nan),
            ("OR", table.oddsratio_pooled, or_lower, or_upper),
        ]
    return pd.DataFrame(
        [
            {
                "method": "MH fixed",
                "measure": measure,
                "estimate": float(est),
                "lower": float(lo),
                "upper": float(hi),
                "n_trials": len(wide),
            }
            for measure, est, lo, hi in rows
        ]
    )


@dataclass(frozen=True)
class DLResult:
    """DerSimonian-Laird output as tidy tables.

    Attributes
    ----------
    per_trial : pandas.DataFrame
        ``trial``, ``measure``, ``log_estimate``, ``se``, ``estimate``, ``lower``, ``upper``,
        ``weight_fe``, ``weight_re`` (relative), ``zero_corrected``.
    pooled : pandas.DataFrame
        Rows ``IV fixed`` and ``DL random``: ``method``, ``measure``, ``estimate``, ``lower``,
        ``upper``, ``log_estimate``, ``se``, ``n_trials``.
    heterogeneity : pandas.DataFrame
        One row: ``measure``, ``Q``, ``df``, ``p_Q``, ``I2`` (fraction, truncated at 0),
        ``tau2`` (log scale), ``tau2_truncated`` (statsmodels' raw DL value was negative).
    """

    per_trial: pd.DataFrame
    pooled: pd.DataFrame
    heterogeneity: pd.DataFrame


def dersimonian_laird(
    arms: pd.DataFrame,
    *,
    statistic: Statistic = "risk-ratio",
    zero_correction: float | None = 0.5,
    alpha: float = 0.05,
) -> DLResult:
    """DerSimonian-Laird random-effects meta-analysis of log risk (or odds) ratios.

    Per-trial effects from ``statsmodels.stats.meta_analysis.effectsize_2proportions`` and
    pooling with ``combine_effects(..., method_re="dl")``.

    Parameters
    ----------
    arms : pandas.DataFrame
        Tidy arm table (see :func:`two_by_two`).
    statistic : {"risk-ratio", "odds-ratio"}, default "risk-ratio"
        Effect measure (pooled on the log scale).
    zero_correction : float or None, default 0.5
        Passed to ``effectsize_2proportions`` (see module notes).
    alpha : float, default 0.05
        1 - confidence level (normal-based intervals, no Hartung-Knapp adjustment).

    Returns
    -------
    DLResult
        Per-trial, pooled and heterogeneity tables.
    """
    wide = two_by_two(arms)
    eff, var = _trial_effects(wide, statistic, zero_correction)
    with warnings.catch_warnings():
        # k = 1 divides by df = 0 inside statsmodels; those outputs are replaced below.
        warnings.simplefilter("ignore", RuntimeWarning)
        res = combine_effects(eff, var, method_re="dl", row_names=list(wide["trial"]), alpha=alpha)
        frame = res.summary_frame(alpha=alpha)
    measure = _MEASURE[statistic]
    k = len(wide)
    truncated = bool(k > 1 and res.tau2 < 0)
    # tau^2 = 0 (truncated DL, or one trial) makes the RE estimate the IV fixed-effect one.
    re_row = frame.loc["fixed effect"] if truncated or k == 1 else frame.loc["random effect"]
    w_re = frame["w_fe"] if truncated or k == 1 else frame["w_re"]
    cells = _tables(wide)
    zero = (cells == 0).any(axis=(0, 1))
    per_trial = pd.DataFrame(
        {
            "trial": wide["trial"],
            "measure": measure,
            "log_estimate": frame["eff"].iloc[:k].to_numpy(),
            "se": frame["sd_eff"].iloc[:k].to_numpy(),
            "estimate": np.exp(frame["eff"].iloc[:k].to_numpy()),
            "lower": np.exp(frame["ci_low"].iloc[:k].to_numpy()),
            "upper": np.exp(frame["ci_upp"].iloc[:k].to_numpy()),
            "weight_fe": frame["w_fe"].iloc[:k].to_numpy(),
            "weight_re": w_re.iloc[:k].to_numpy(),
            "zero_corrected": zero & (zero_correction is not None),
        }
    )
    pooled = pd.DataFrame(
        [
            _pooled_row("IV fixed", measure, frame.loc["fixed effect"], k),
            _pooled_row("DL random", measure, re_row, k),
        ]
    )
    heterogeneity = _heterogeneity_row(res, measure, k, truncated)
    return DLResult(per_trial=per_trial, pooled=pooled, heterogeneity=heterogeneity)


def _trial_effects(
    wide: pd.DataFrame, statistic: Statistic, zero_correction: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial log effects and variances from ``effectsize_2proportions``.

    Why two calls: statsmodels 0.15 adds a float ``zero_correction`` to the event counts of
    *every* trial (it only restricts the change of the totals to trials with a zero), which
    would bias trials without zero cells. Calling it without correction for those trials and
    with the correction only for trials with a zero (or full) arm gives the intended "0.5 in
    every cell of tables with a zero cell".
    """
    counts = [
        wide[col].to_numpy(dtype=float)
        for col in ("events_treatment", "total_treatment", "events_control", "total_control")
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Zero-cell trials give inf here; they are replaced just below when corrected.
        eff, var = effectsize_2proportions(*counts, statistic=statistic, zero_correction=None)
    eff, var = np.asarray(eff, dtype=float), np.asarray(var, dtype=float)
    zero = (_tables(wide) == 0).any(axis=(0, 1))
    if zero_correction is not None and zero.any():
        sub = [c[zero] for c in counts]
        eff_z, var_z = effectsize_2proportions(
            *sub, statistic=statistic, zero_correction=float(zero_correction)
        )
        eff[zero], var[zero] = eff_z, var_z
    return eff, var


def _pooled_row(method: str, measure: str, row: pd.Series, k: int) -> dict[str, object]:
    return {
        "method": method,
        "measure": measure,
        "estimate": float(np.exp(row["eff"])),
        "lower": float(np.exp(row["ci_low"])),
        "upper": float(np.exp(row["ci_upp"])),
        "log_estimate": float(row["eff"]),
        "se": float(row["sd_eff"]),
        "n_trials": k,
    }


def _heterogeneity_row(res, measure: str, k: int, truncated: bool) -> pd.DataFrame:
    if k == 1:
        q = df = p_q = i2 = tau2 = np.nan
    else:
        test = res.test_homogeneity()
        q, df, p_q = float(test.statistic), int(test.df), float(test.pvalue)
        i2 = max(0.0, float(res.i2))
        tau2 = 0.0 if truncated else float(res.tau2)
    return pd.DataFrame(
        [
            {
                "measure": measure,
                "Q": q,
                "df": df,
                "p_Q": p_q,
                "I2": i2,
                "tau2": tau2,
                "tau2_truncated": truncated,
            }
        ]
    )


@dataclass(frozen=True)
class ClassicalResults:
    """All classical results for one analysis.

    Attributes
    ----------
    pooled : pandas.DataFrame
        MH fixed (RR, OR), IV fixed and DL random rows; columns ``method``, ``measure``,
        ``estimate``, ``lower``, ``upper``, ``n_trials`` (plus ``log_estimate``, ``se`` for
        the inverse-variance rows).
    per_trial : pandas.DataFrame
        Per-trial estimates (see :class:`DLResult`).
    heterogeneity : pandas.DataFrame
        Q, I^2, tau^2 (see :class:`DLResult`).
    """

    pooled: pd.DataFrame
    per_trial: pd.DataFrame
    heterogeneity: pd.DataFrame


def classical_meta_analysis(
    arms: pd.DataFrame,
    *,
    statistic: Statistic = "risk-ratio",
    zero_correction: float | None = 0.5,
    shift_zeros: bool = True,
    alpha: float = 0.05,
) -> ClassicalResults:
    """Mantel-Haenszel fixed effect plus DerSimonian-Laird random effects for one analysis.

    Parameters
    ----------
    arms : pandas.DataFrame
        Tidy arm table (see :func:`two_by_two`).
    statistic : {"risk-ratio", "odds-ratio"}, default "risk-ratio"
        Measure for the inverse-variance / DL analysis.
    zero_correction : float or None, default 0.5
        Zero handling of the per-trial effects (see module notes).
    shift_zeros : bool, default True
        Zero handling of the MH tables (see module notes).
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    ClassicalResults
        Tidy pooled, per-trial and heterogeneity tables.
    """
    mh = mantel_haenszel(arms, shift_zeros=shift_zeros, alpha=alpha)
    dl = dersimonian_laird(arms, statistic=statistic, zero_correction=zero_correction, alpha=alpha)
    pooled = pd.concat([mh, dl.pooled], ignore_index=True)
    return ClassicalResults(pooled=pooled, per_trial=dl.per_trial, heterogeneity=dl.heterogeneity)
