"""Refits of one analysis with trials left out, through the same compiled model.

* **Leave one out**: each included trial masked in turn, and how far its own result lies from
  what the others predict (its *conflict* p-value).
* **Comparator type**: the trials whose control arm is of another kind
  (``comparison.comparator_sensitivity``, e.g. conventional treatment instead of methadone)
  masked together.

Every refit uses the same seed so that differences between rows are not inflated by independent
Monte Carlo noise.

Conflict p-value (the cross-validatory predictive check of Marshall & Spiegelhalter 2007): with
trial ``i`` left out, the model predicts a new trial's effect ``delta_new``; the trial's observed
log odds ratio ``y_i`` (0.5 added to its cells if one is zero) with its sampling variance
``v_i`` is compared with ``Normal(delta_new, v_i)``, averaged over the draws, two-sided::

    F = mean over draws of Phi((y_i - delta_new) / sqrt(v_i)),    p = 2 min(F, 1 - F)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from hatmeta.bayes.summaries import log_odds_ratios, pooled_summary

if TYPE_CHECKING:
    from hatmeta.bayes.fitdata import FitData
    from hatmeta.bayes.sampling import Fit

COLUMNS = (
    "left_out",
    "kind",
    "n_included",
    "OR_median",
    "OR_lower",
    "OR_upper",
    "tau_median",
    "P(OR>1)",
    "conflict_p",
    "failures",
)
LEAVE_ONE_OUT = "leave one out"


def empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(COLUMNS))


def conflict_p(delta_new: np.ndarray, observed: float, variance: float) -> float:
    """Two-sided predictive p-value of an observed log OR (module docstring)."""
    below = float(np.mean(special.ndtr((observed - np.ravel(delta_new)) / np.sqrt(variance))))
    return 2 * min(below, 1 - below)


def _row(left_out: str, kind: str, n_included: int, fit: Fit, conflict: float) -> dict:
    return {
        "left_out": left_out,
        "kind": kind,
        "n_included": n_included,
        **pooled_summary(fit.tree),
        "conflict_p": conflict,
        "failures": "; ".join(fit.failures),
    }


def refits(
    sample: Callable[[FitData, str], Fit],
    data: FitData,
    where: str,
    other_comparator: Sequence[str] = (),
    comparator_label: str = "",
) -> pd.DataFrame:
    """Leave-one-out rows (with conflict p-values) and, when ``other_comparator`` names included
    trials, one row without all of them. ``sample(data, label)`` fits through the engine."""
    included = data.included
    if len(included) < 2:
        return empty()
    index = [data.trials.index(t) for t in included]
    log_or, variance, _ = log_odds_ratios(
        data.y_treatment[index],
        data.n_treatment[index],
        data.y_control[index],
        data.n_control[index],
    )
    rows, fits = [], {}
    for i, trial in enumerate(included):
        fit = fits[(trial,)] = sample(data.without(trial), f"{where} without {trial}")
        delta_new = np.asarray(fit.tree["posterior"]["delta_new"])
        conflict = conflict_p(delta_new, log_or[i], variance[i])
        rows.append(_row(trial, LEAVE_ONE_OUT, len(included) - 1, fit, conflict))
    dropped = tuple(t for t in included if t in other_comparator)
    if dropped and len(dropped) < len(included):
        fit = fits.get(dropped)
        if fit is None:
            fit = sample(data.without(*dropped), f"{where} without {', '.join(dropped)}")
        kind = f"comparator: without trials whose control is {comparator_label}"
        rows.append(_row(";".join(dropped), kind, len(included) - len(dropped), fit, np.nan))
    return pd.DataFrame(rows, columns=list(COLUMNS))
