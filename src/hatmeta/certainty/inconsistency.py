"""Inconsistency: how much the trials' effects differ, from the posterior of tau and the 95%
prediction interval, with the classical I² shown beside them.

Rule (thresholds under ``certainty/inconsistency``):

* very serious (2) when the posterior median of tau (the between-trial standard deviation of the
  log odds ratio) exceeds ``tau_very_serious`` (default 1.0: trial odds ratios typically differ
  by a factor of several);
* serious (1) when it exceeds ``tau_serious`` (default 0.5), or (``prediction_interval``, on by
  default) when the 95% prediction interval of a new trial's odds ratio reaches the other side of
  1 while the pooled 95% credible interval does not: the next trial could well point the other
  way although the average effect is clear;
* otherwise not serious. With one trial inconsistency cannot be judged (not assessed).

I² (REML random effects, from the classical stage) is reported, not used: it grows with the
trials' size whatever the spread of their effects.

Counts of events are judged by the same rule on the rate model (:mod:`hatmeta.bayes.rates`):
its posterior median tau (of the log rate ratio) against the same thresholds, and a new
trial's 95% prediction interval of the rate ratio against the pooled rate ratio's 95% CrI. The
classical 2 x 2 methods do not apply to them, so no I² is shown.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hatmeta.certainty.domains import Domain

if TYPE_CHECKING:
    from hatmeta.config import CertaintySettings


def _side(lower: float, upper: float) -> int:
    """+1 when an interval lies above 1, -1 below, 0 when it contains 1."""
    return 1 if lower > 1 else (-1 if upper < 1 else 0)


def rule_text(settings: CertaintySettings) -> str:
    """The rule in words, with the configured thresholds."""
    rule = (
        f"posterior median tau above {settings.tau_very_serious:g}: very serious; above "
        f"{settings.tau_serious:g}"
    )
    if settings.prediction_interval:
        rule += (
            ", or the 95% prediction interval reaching the other side of OR 1 (rate ratio 1 for "
            "counts of events) while the 95% credible interval does not"
        )
    return rule + ": serious; one trial: not assessed"


def assess(
    n_trials: int,
    tau_median: float,
    or_interval: tuple[float, float],
    prediction_interval: tuple[float, float],
    i2: float,
    settings: CertaintySettings,
    measure: str = "OR",
    no_i2: str = "not available",
) -> Domain:
    """The inconsistency domain of one analysis.

    Parameters
    ----------
    n_trials
        Included trials.
    tau_median
        Posterior median of tau.
    or_interval, prediction_interval
        The pooled ratio's 95% credible interval and a new trial's 95% prediction interval.
    i2
        I² of the classical REML random-effects analysis (a share; NaN when absent).
    settings
        ``tau_serious``, ``tau_very_serious``, ``prediction_interval``.
    measure
        The ratio's name in the footnote (``OR``, or ``rate ratio`` for counts of events).
    no_i2
        What the footnote says of an absent I².
    """
    serious, very = settings.tau_serious, settings.tau_very_serious
    rule = rule_text(settings)
    if n_trials < 2:
        return Domain("inconsistency", 0, rule, "one trial: no spread of effects to judge", False)
    pooled, predicted = _side(*or_interval), _side(*prediction_interval)
    crosses = bool(settings.prediction_interval and pooled != 0 and predicted == 0)
    level = 2 if tau_median > very else (1 if tau_median > serious or crosses else 0)
    i2_text = no_i2 if math.isnan(i2) else f"{100 * i2:.0f}%"
    numbers = (
        f"Posterior median tau {tau_median:.2f}; 95% prediction interval of the {measure} "
        f"{prediction_interval[0]:.2f} to {prediction_interval[1]:.2f}"
        + (" reaches the other side of 1" if crosses else "")
        + f" (pooled 95% CrI {or_interval[0]:.2f} to {or_interval[1]:.2f}); I² {i2_text}."
    )
    return Domain("inconsistency", level, rule, numbers)
