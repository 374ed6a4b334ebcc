"""Publication bias: a regression test for funnel-plot asymmetry, with ten trials or more.

With fewer than ``certainty/publication_bias/min_trials`` trials (default 10) the test has too
little power to tell asymmetry from chance (Cochrane Handbook, section 13.3.5.4): publication
bias is "not assessable" and not rated down (said in a footnote). With more, the trials' log
odds ratios ``y_i`` (0.5 added to the cells of a table with a zero cell) are regressed on a
predictor by weighted least squares with weights ``1 / v_i``, as R's metafor
``regtest(rma(yi, vi), model = "lm", predictor = ...)``: ``sei`` (the standard error, Egger et
al. 1997) or ``ninv`` (the inverse of the trial's total sample size, Peters-type, less tied to
the log odds ratio itself). The predictor's coefficient is tested with a t test on k - 2
degrees of freedom; p below ``p_threshold`` (default 0.10, the conventional level for this
low-powered test) is serious (1). Counts of events pooled over person-time are tested the same
way on the trials' log rate ratios (:func:`trial_log_rate_ratios`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hatmeta.certainty.domains import Domain
from hatmeta.display import p_text

if TYPE_CHECKING:
    import pandas as pd

    from hatmeta.config import CertaintySettings

PREDICTORS = {"sei": "standard error (Egger)", "ninv": "1 / total sample size (Peters-type)"}


@dataclass(frozen=True)
class RegressionTest:
    """The asymmetry test: the predictor's coefficient, its t statistic, df and p-value, and
    the intercept (the 'limit estimate' for ``sei``)."""

    predictor: str
    slope: float
    se: float
    t: float
    df: int
    p: float
    intercept: float


def trial_log_odds_ratios(trials: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each trial's log odds ratio, its variance and its total sample size."""
    from hatmeta.bayes.summaries import log_odds_ratios

    yi, vi, _ = log_odds_ratios(
        *(trials[c].to_numpy() for c in ("events_treatment", "total_treatment")),
        *(trials[c].to_numpy() for c in ("events_control", "total_control")),
    )
    return yi, vi, (trials["total_treatment"] + trials["total_control"]).to_numpy(dtype=float)


def trial_log_rate_ratios(trials: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each trial's log rate ratio ``log((y_T / E_T) / (y_C / E_C))``, its variance
    ``1/y_T + 1/y_C`` (0.5 added to both counts of a trial with a zero count, as the rate model
    does) and its total sample size, from ``events_*``, ``person_years_*`` and ``total_*`` of
    both arms."""
    events = trials[["events_treatment", "events_control"]].to_numpy(dtype=float, copy=True)
    events[(events == 0).any(axis=1)] += 0.5
    years = trials[["person_years_treatment", "person_years_control"]].to_numpy(dtype=float)
    rates = events / years
    yi = np.log(rates[:, 0] / rates[:, 1])
    vi = (1.0 / events).sum(axis=1)
    return yi, vi, (trials["total_treatment"] + trials["total_control"]).to_numpy(dtype=float)


def regression_test(yi, vi, ni=None, predictor: str = "sei") -> RegressionTest:
    """Weighted regression of ``yi`` on the predictor, weights ``1 / vi`` (metafor's
    ``regtest`` with ``model = "lm"``)."""
    # Imported on use, as in imprecision: the report imports this module for its rule's text.
    from scipy import stats

    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if predictor == "sei":
        x = np.sqrt(vi)
    elif predictor == "ninv":
        x = 1.0 / np.asarray(ni, dtype=float)
    else:
        raise ValueError(f"unknown predictor '{predictor}'")
    k = len(yi)
    if k < 3:
        raise ValueError("the regression test needs three trials or more")
    design = np.column_stack([np.ones(k), x])
    w = 1.0 / vi
    xtwx = design.T @ (design * w[:, None])
    coef = np.linalg.solve(xtwx, design.T @ (w * yi))
    residuals = yi - design @ coef
    df = k - 2
    sigma2 = float(np.sum(w * residuals**2) / df)
    cov = sigma2 * np.linalg.inv(xtwx)
    se = float(np.sqrt(cov[1, 1]))
    t = float(coef[1] / se)
    return RegressionTest(predictor, float(coef[1]), se, t, df, float(2 * stats.t.sf(abs(t), df)),
                          float(coef[0]))  # fmt: skip


def rule_text(settings: CertaintySettings) -> str:
    """The rule in words, with the configured thresholds."""
    threshold, predictor = settings.publication_p, settings.publication_predictor
    return (
        f"with {settings.publication_min_trials} trials or more, a regression test for funnel "
        f"asymmetry (log OR, or log rate ratio for counts of events, on the "
        f"{PREDICTORS[predictor]}, weights 1/variance, as metafor's "
        f"regtest with model 'lm'): p below {threshold:g} serious; with fewer, not assessable "
        "and not rated down"
    )


def assess(
    trials: pd.DataFrame, settings: CertaintySettings, effects=trial_log_odds_ratios
) -> tuple[Domain, RegressionTest | None]:
    """The publication-bias domain of one analysis, and the test when it was run (on the
    trials' ``effects``: log odds ratios, or :func:`trial_log_rate_ratios`)."""
    k, threshold = len(trials), settings.publication_p
    predictor = settings.publication_predictor
    rule = rule_text(settings)
    if k < settings.publication_min_trials:
        numbers = (
            f"{k} trial(s), fewer than {settings.publication_min_trials}: a funnel-asymmetry "
            "test has too little power, so publication bias was not assessable (not rated down)"
        )
        return Domain("publication_bias", 0, rule, numbers, False), None
    test = regression_test(*effects(trials), predictor=predictor)
    level = 1 if test.p < threshold else 0
    numbers = (
        f"Regression test for funnel asymmetry over {k} trials: slope {test.slope:.2f} (SE "
        f"{test.se:.2f}), t = {test.t:.2f} on {test.df} df, {p_text(test.p)} "
        f"({'below' if level else 'not below'} {threshold:g})."
    )
    return Domain("publication_bias", level, rule, numbers), test
