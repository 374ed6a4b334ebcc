"""Classical meta-analysis: the numbers a Cochrane-style review reports, beside the Bayesian ones.

Every number here is compared with R's metafor 3.8 in the tests (``tests/oracles/metafor.py``),
on this project's analysis tables and on datasets of metafor's data package, to a relative
1e-6; the conventions below are metafor's.

Per-trial estimates (log OR, log RR, RD) and their variances come from statsmodels
(``effectsize_2proportions``). A trial with a zero cell gets 0.5 added to all four cells of its
table, for display and for the inverse-variance methods only (metafor's ``add = 1/2, to =
"only0"``); column ``corrected`` says which.

Mantel-Haenszel (fixed effect) uses the uncorrected counts: the MH sums need no correction, and
adding 0.5 to sparse tables biases the pooled estimate towards 1. Odds ratio with the
Robins-Breslow-Greenland variance (statsmodels ``StratifiedTable``); risk ratio with the
Greenland-Robins (1985) variance and risk difference with the Sato-Greenland-Robins (1989)
variance, neither of which statsmodels has (:func:`mantel_haenszel`).

Inverse-variance pooling (:func:`pool`): fixed effect; random effects with the heterogeneity
variance tau^2 by DerSimonian-Laird (1986) or REML (Viechtbauer 2005, solved to full precision);
Wald intervals, Hartung-Knapp-Sidik-Jonkman intervals (t with k - 1 df, no ad hoc truncation)
and prediction intervals for the effect in a new trial from the HKSJ analysis (mean +- t x
sqrt(SE_HKSJ^2 + tau^2), t with k - 1 df), as metafor's ``predict`` on a ``test = "knha"``
model. Cochran's Q, and I^2 = tau^2 / (tau^2 + s^2) with s^2 the typical within-trial
variance (Higgins & Thompson 2002), per tau^2 estimator. statsmodels' ``combine_effects`` has
fixed effect and DerSimonian-Laird but neither REML nor prediction intervals, and its DL tau^2
is not truncated at 0; one function here does all estimators alike (the tests also compare its
DL with statsmodels').
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

# scipy and statsmodels are imported by the functions that use them: the report imports this
# module for RATIOS alone, and they were most of a second of its start-up.

Measure = Literal["OR", "RR", "RD"]
MEASURES: tuple[Measure, ...] = ("OR", "RR", "RD")
#: Measures pooled on the log scale (reported exponentiated).
RATIOS = ("OR", "RR")
_STATSMODELS = {"OR": "odds-ratio", "RR": "risk-ratio", "RD": "diff"}
#: Random-effects measures: the risk difference is pooled by Mantel-Haenszel and inverse
#: variance only (its heterogeneity is rarely additive).
RANDOM_EFFECTS_MEASURES = RATIOS
COLUMNS = [
    "method",
    "measure",
    "estimate",
    "lower",
    "upper",
    "se",
    "hksj_lower",
    "hksj_upper",
    "pi_lower",
    "pi_upper",
    "tau2",
    "I2",
    "Q",
    "df",
    "p_Q",
    "n_trials",
]


def two_by_two(arms: pd.DataFrame) -> pd.DataFrame:
    """One row per trial from the tidy arm table (columns ``trial``, ``role``, ``events``,
    ``total``): ``trial``, ``events_treatment``, ``total_treatment``, ``events_control``,
    ``total_control``, in order of first appearance."""
    missing = {"trial", "role", "events", "total"} - set(arms.columns)
    if missing:
        raise ValueError(f"arm table lacks columns {sorted(missing)}")
    if arms.duplicated(["trial", "role"]).any():
        raise ValueError("each trial needs exactly one row per role")
    order = list(pd.unique(arms["trial"]))
    wide = arms.pivot(index="trial", columns="role", values=["events", "total"]).loc[order]
    roles = set(wide.columns.get_level_values(1))
    if wide.isna().any().any() or roles != {"treatment", "control"}:
        raise ValueError("each trial needs one treatment and one control row")
    out = {"trial": [str(t) for t in order]}
    for column in ("events", "total"):
        for role in ("treatment", "control"):
            out[f"{column}_{role}"] = wide[(column, role)].to_numpy(dtype=int)
    return pd.DataFrame(out)[
        ["trial", "events_treatment", "total_treatment", "events_control", "total_control"]
    ]


def _cells(wide: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """``a, b, c, d``: treatment events and non-events, control events and non-events."""
    a = wide["events_treatment"].to_numpy(dtype=float)
    c = wide["events_control"].to_numpy(dtype=float)
    return (
        a,
        wide["total_treatment"].to_numpy(dtype=float) - a,
        c,
        (wide["total_control"].to_numpy(dtype=float) - c),
    )


def trial_effects(wide: pd.DataFrame, measure: Measure, add: float = 0.5) -> pd.DataFrame:
    """Per-trial estimate ``yi`` (log scale for ratios) and variance ``vi``; 0.5 in every cell
    of tables with a zero cell (``corrected``).

    statsmodels' ``zero_correction`` adds to the events of every trial once any is given, so
    it is called without correction for the trials without a zero cell.
    """
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    a, b, c, d = _cells(wide)
    corrected = (np.stack([a, b, c, d]) == 0).any(axis=0)
    counts = [a + corrected * add, a + b + 2 * corrected * add]
    counts += [c + corrected * add, c + d + 2 * corrected * add]
    with np.errstate(divide="ignore", invalid="ignore"):
        yi, vi = effectsize_2proportions(*counts, statistic=_STATSMODELS[measure])
    return pd.DataFrame(
        {
            "trial": wide["trial"],
            "measure": measure,
            "yi": np.asarray(yi, dtype=float),
            "vi": np.asarray(vi, dtype=float),
            "corrected": corrected,
        }
    )


def mantel_haenszel(wide: pd.DataFrame, measure: Measure) -> tuple[float, float]:
    """Mantel-Haenszel estimate (log scale for ratios) and its standard error, from the
    uncorrected counts. Trials with no events, or only events, in both arms add nothing to the
    odds and risk ratio; they do add to the risk difference's weights, as in metafor.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        # A single table with no events in one arm: an estimate of 0 or inf, and no interval.
        return _mantel_haenszel(wide, measure)


def _mantel_haenszel(wide: pd.DataFrame, measure: Measure) -> tuple[float, float]:
    from statsmodels.stats.contingency_tables import StratifiedTable

    a, b, c, d = _cells(wide)
    n1, n2 = a + b, c + d
    n = n1 + n2
    if measure == "OR":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a lone all-zero table: NaN
            table = StratifiedTable(np.array([[a, b], [c, d]]), shift_zeros=False)
            return float(table.logodds_pooled), float(table.logodds_pooled_se)
    if measure == "RR":
        # Greenland & Robins (1985), Biometrics 41:55-68.
        r, s = np.sum(a * n2 / n), np.sum(c * n1 / n)
        variance = np.sum((n1 * n2 * (a + c) / n - a * c) / n) / (r * s)
        return float(np.log(r / s)), float(np.sqrt(variance))
    # Sato, Greenland & Robins (1989), Biometrics 45:1323-1324.
    weight = np.sum(n1 * n2 / n)
    rd = np.sum((a * n2 - c * n1) / n) / weight
    p = np.sum((n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / n**2)
    q = np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * n))
    return float(rd), float(np.sqrt((rd * p + q) / weight**2))


def _reml_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """REML tau^2: the root of the restricted likelihood's score, or 0 where the score is
    negative at 0 (the likelihood falls from the boundary)."""
    from scipy import optimize

    def score(tau2):
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return np.sum(w**2 * (y - mu) ** 2) - np.sum(w) + np.sum(w**2) / np.sum(w)

    if score(0.0) <= 0:
        return 0.0
    upper = max(np.var(y) + np.max(v), 1e-8)
    while score(upper) > 0:
        upper *= 4
    return float(optimize.brentq(score, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def pool(y: np.ndarray, v: np.ndarray, method: str, alpha: float = 0.05) -> dict[str, float]:
    """Inverse-variance pooling: ``method`` ``"IV"`` (fixed effect), ``"DL"`` or ``"REML"``.

    Returns the estimate, its SE, the Wald interval, for random effects the HKSJ and prediction
    intervals, and the heterogeneity statistics (module docstring).
    """
    from scipy import stats

    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    k = len(y)
    w = 1.0 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    if method == "IV" or k == 1:
        tau2 = 0.0
    elif method == "DL":
        tau2 = max(0.0, (q - (k - 1)) / c)
    elif method == "REML":
        tau2 = _reml_tau2(y, v)
    else:
        raise ValueError(f"unknown pooling method '{method}'")
    weights = 1.0 / (v + tau2)
    mu = float(np.sum(weights * y) / np.sum(weights))
    se = float(np.sqrt(1.0 / np.sum(weights)))
    z = stats.norm.isf(alpha / 2)
    out = {
        "estimate": mu,
        "se": se,
        "lower": mu - z * se,
        "upper": mu + z * se,
        "Q": q if k > 1 else np.nan,
        "df": k - 1,
        "p_Q": float(stats.chi2.sf(q, k - 1)) if k > 1 else np.nan,
        "n_trials": k,
    }
    if method == "IV":
        return out
    typical = (k - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2)) if k > 1 else np.nan
    out |= {"tau2": tau2, "I2": tau2 / (tau2 + typical) if k > 1 else np.nan}
    if k > 1:
        t = stats.t.isf(alpha / 2, k - 1)
        se_hksj = float(np.sqrt(np.sum(weights * (y - mu) ** 2) / ((k - 1) * np.sum(weights))))
        spread = np.sqrt(se_hksj**2 + tau2)
        out |= {
            "hksj_lower": mu - t * se_hksj,
            "hksj_upper": mu + t * se_hksj,
            "pi_lower": mu - t * spread,
            "pi_upper": mu + t * spread,
        }
    return out


_INTERVALS = ("estimate", "lower", "upper", "hksj_lower", "hksj_upper", "pi_lower", "pi_upper")


def _row(method: str, measure: Measure, result: dict[str, float]) -> dict[str, object]:
    row = {"method": method, "measure": measure, **result}
    if measure in RATIOS:
        row |= {key: float(np.exp(row[key])) for key in _INTERVALS if key in row}
    return row


def classical_meta_analysis(arms: pd.DataFrame, alpha: float = 0.05) -> dict[str, pd.DataFrame]:
    """Every classical result of one analysis: ``pooled`` (MH, IV fixed, DL and REML rows;
    columns :data:`COLUMNS`) and ``trials`` (per-trial estimates of every measure)."""
    from scipy import stats

    wide = two_by_two(arms)
    z = stats.norm.isf(alpha / 2)
    rows, trials = [], []
    for measure in MEASURES:
        effects = trial_effects(wide, measure)
        trials.append(effects)
        estimate, se = mantel_haenszel(wide, measure)
        with np.errstate(invalid="ignore"):
            lower, upper = estimate - z * se, estimate + z * se
        mh = {
            "estimate": estimate,
            "se": se,
            "lower": lower,
            "upper": upper,
            "n_trials": len(wide),
        }
        rows.append(_row("MH fixed", measure, mh))
        rows.append(_row("IV fixed", measure, pool(effects["yi"], effects["vi"], "IV", alpha)))
        if measure in RANDOM_EFFECTS_MEASURES:
            for method in ("DL", "REML"):
                result = pool(effects["yi"], effects["vi"], method, alpha)
                rows.append(_row(f"{method} random", measure, result))
    pooled = pd.DataFrame(rows).reindex(columns=COLUMNS)
    return {"pooled": pooled, "trials": pd.concat(trials, ignore_index=True)}
