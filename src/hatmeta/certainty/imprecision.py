"""Imprecision (GRADE guidance 6, 2011, and 34, 2022; minimally contextualised approach).

The thresholds are the null and the clinically relevant effect on either side of it: the
odds ratio ``t = clinically_relevant_odds_ratio`` in the favourable direction (``t`` for a
desirable event, ``1/t`` for a harm) and its mirror in the unfavourable direction. With a
baseline (control) risk ``p0`` they are compared on the absolute scale, the risk difference
per 1000 at ``p0`` of each threshold odds ratio; without one (trials defining the outcome
differently), on the odds ratio itself.

* The 95% credible interval crosses two or more thresholds: very serious (2); one: serious (1).
* It crosses none and lies beyond a relevant threshold (a large effect): the optimal
  information size (OIS) is checked, the participants a single trial needs to detect a
  relative change of ``relative_risk_reduction`` of the control risk (``p0`` to
  ``p0 (1 - rrr)``) with two-sided ``alpha`` and ``power`` (two-sample comparison of
  proportions, as R's ``power.prop.test``); fewer participants than the OIS: serious (1).
  Without a baseline the OIS is not checked.
* Sparse data (:func:`hatmeta.evidence_rules.sufficiency`): very serious (2).

Counts of events pooled over person-time (:mod:`hatmeta.bayes.rates`) are judged on the rate
ratio (:func:`assess_ratio`): its 95% CrI against 1 and the same relevant ratios, taken as
rate ratios (``t`` or ``1/t``), one level per threshold crossed as for the odds ratio without
a baseline. The absolute scale would change nothing (the rate difference at the pooled control
rate is a monotone function of the ratio). The optimal information size is defined here for
proportions (participants with the event), not for events over person-time, so it is not
computed for rates: a large effect whose interval crosses no threshold is not rated down for it,
and the footnote says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hatmeta.certainty.domains import Domain

if TYPE_CHECKING:
    from hatmeta.config import CertaintySettings


def power_prop_n(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Participants per group to detect ``p1`` against ``p2`` (R's ``power.prop.test``,
    two-sided, ``strict = FALSE``), unrounded."""
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        raise ValueError("two different proportions strictly between 0 and 1 are needed")
    # Imported on use: the report imports this module for its rules' text, not to compute, and
    # scipy.stats is half a second of its start-up.
    from scipy.stats import norm

    z_alpha, z_beta = norm.isf(alpha / 2), norm.ppf(power)
    spread = z_alpha * math.sqrt((p1 + p2) * (2 - p1 - p2) / 2)
    spread += z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return spread**2 / (p1 - p2) ** 2


def optimal_information_size(
    control_risk: float, rrr: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Participants (both groups) of one trial sized for a relative risk change ``rrr``."""
    return 2 * math.ceil(power_prop_n(control_risk, control_risk * (1 - rrr), alpha, power))


def risk_difference(log_or, risk: float):
    """Risk difference at the control ``risk`` of an odds ratio ``exp(log_or)``."""
    odds = np.exp(log_or) * risk / (1 - risk)
    return odds / (1 + odds) - risk


def thresholds(relevant_or: float, higher_is_better: bool) -> dict[str, float]:
    """The threshold odds ratios: ``benefit``, ``null`` and ``harm``."""
    benefit = relevant_or if higher_is_better else 1 / relevant_or
    return {"benefit": benefit, "null": 1.0, "harm": 1 / benefit}


def _crossed(lower: float, upper: float, values: dict[str, float]) -> list[str]:
    return [name for name, v in values.items() if lower < v < upper]


def rule_text(settings: CertaintySettings) -> str:
    """The rule in words, with the configured thresholds."""
    t, rrr = settings.relevant_or, settings.relative_risk_reduction
    return (
        f"the 95% CrI against the null and the clinically relevant effect either side (OR {t:g} "
        f"or 1/{t:g}; as risk differences at the control risk when there is one): two "
        "thresholds crossed very serious, one serious; none crossed but beyond a relevant "
        f"threshold, serious when the participants are fewer than the optimal information "
        f"size (relative risk change {100 * rrr:.0f}%, alpha {settings.alpha:g}, power "
        f"{settings.power:g}); sparse data very serious; counts of events: the 95% CrI of the "
        "rate ratio against the same ratios (optimal information size not computed for rates)"
    )


def assess(
    log_or_draws,
    baseline: float | None,
    participants: int,
    higher_is_better: bool,
    insufficient: str,
    settings: CertaintySettings,
) -> Domain:
    """The imprecision domain of one analysis.

    Parameters
    ----------
    log_or_draws
        Posterior draws of the pooled log odds ratio.
    baseline
        The control risk the absolute effects are given at, or None.
    participants
        Participants of the included trials.
    higher_is_better
        Whether the counted event is desirable.
    insufficient
        Why the data are sparse ('' when they are not).
    settings
        ``relevant_or``, ``relative_risk_reduction``, ``alpha``, ``power``.
    """
    t, rrr = settings.relevant_or, settings.relative_risk_reduction
    rule = rule_text(settings)
    if insufficient:
        return Domain("imprecision", 2, rule, f"Sparse data: {insufficient}.")
    draws = np.asarray(log_or_draws, dtype=float).ravel()
    from hatmeta.intervals import interval

    odds = thresholds(t, higher_is_better)
    if baseline is None:
        lower, _, upper = interval(np.exp(draws))
        return assess_ratio(lower, upper, higher_is_better, "", settings)
    per_1000 = {k: 1000 * float(risk_difference(math.log(v), baseline)) for k, v in odds.items()}
    lower, _, upper = interval(1000 * risk_difference(draws, baseline))
    values = {k: f"{_signed(v)} per 1000" for k, v in per_1000.items()}
    span = f"95% CrI of the risk difference {_signed(lower)} to {_signed(upper)} per 1000"
    judged = _judge(lower, upper, per_1000, values, span, rule)
    if isinstance(judged, Domain):
        return judged
    numbers, beyond = judged
    ois = optimal_information_size(baseline, rrr, settings.alpha, settings.power)
    level = 1 if participants < ois else 0
    compare = "fewer than" if level else "at least"
    numbers += (
        f" and lies beyond the {NAMED[beyond[0]]}; {participants} participants, {compare} the "
        f"optimal information size of {ois} (control risk {baseline:.3f}, relative change "
        f"{100 * rrr:.0f}%)."
    )
    return Domain("imprecision", level, rule, numbers)


NAMED = {"benefit": "relevant benefit", "null": "null", "harm": "relevant harm"}


def _judge(
    lower: float,
    upper: float,
    scale: dict[str, float],
    values: dict[str, str],
    span: str,
    rule: str,
) -> Domain | tuple[str, list[str]]:
    """The domain when the interval crosses a threshold or lies short of every relevant one;
    otherwise (a large effect) the footnote so far and the thresholds it lies beyond."""
    crossed = _crossed(lower, upper, scale)
    if crossed:
        level = 2 if len(crossed) >= 2 else 1
        numbers = (
            f"{span} crosses {len(crossed)} threshold(s): "
            f"{', '.join(f'{NAMED[k]} ({values[k]})' for k in crossed)}."
        )
        return Domain("imprecision", level, rule, numbers)
    listed = ", ".join(f"{NAMED[k]} {values[k]}" for k in scale)
    beyond = [k for k in ("benefit", "harm") if _beyond(lower, upper, scale[k], scale["null"])]
    numbers = f"{span} crosses no threshold ({listed})"
    if not beyond:
        return Domain("imprecision", 0, rule, numbers + ".")
    return numbers, beyond


def assess_ratio(
    lower: float,
    upper: float,
    higher_is_better: bool,
    insufficient: str,
    settings: CertaintySettings,
    measure: str = "OR",
    why_no_ois: str = "optimal information size not checked (no baseline)",
    note: str = " (no baseline risk)",
) -> Domain:
    """The imprecision domain on a ratio scale: the 95% CrI ``lower`` to ``upper`` of the odds
    ratio (without a baseline risk) or of the rate ratio (counts of events, ``measure="rate
    ratio"``) against 1 and the relevant ratio either side (``relevant_or`` for a desirable
    event, its inverse for a harm, and the mirror). Two thresholds crossed very serious, one
    serious, none not serious (the optimal information size is not checked: ``why_no_ois``);
    sparse data very serious."""
    rule = rule_text(settings)
    if insufficient:
        return Domain("imprecision", 2, rule, f"Sparse data: {insufficient}.")
    ratios = thresholds(settings.relevant_or, higher_is_better)
    values = {k: f"{measure} {v:.2f}" for k, v in ratios.items()}
    span = f"95% CrI of the {measure} {lower:.2f} to {upper:.2f}{note}"
    judged = _judge(lower, upper, ratios, values, span, rule)
    if isinstance(judged, Domain):
        return judged
    return Domain("imprecision", 0, rule, f"{judged[0]}; {why_no_ois}.")


def _signed(value: float) -> str:
    """A signed number per 1000: one decimal below 10 (so that close values stay apart), none
    above, and no negative zero."""
    text = f"{value:+.1f}" if abs(value) < 10 else f"{value:+.0f}"
    return "0" if float(text) == 0 else text


def _beyond(lower: float, upper: float, threshold: float, null: float) -> bool:
    """Whether ``[lower, upper]`` lies on the far side of ``threshold`` from ``null``."""
    return lower >= threshold if threshold > null else upper <= threshold
