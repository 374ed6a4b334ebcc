"""Anticipated absolute effects per 1000, from the posterior draws of the pooled log odds ratio;
for counts of events, rates per person-time from the rate model (:class:`RateAbsolute`).

At an assumed control risk ``p0`` each draw of the odds ratio gives the risk with the
intervention, ``p1 = p0 OR / (1 - p0 + p0 OR)``, and the difference ``p1 - p0``; the report
gives their medians and 95% equal-tailed intervals per 1000 people, as GRADEpro words them:
"N per 1000 (from A to B)" and "N more per 1000 (A fewer to B more)".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hatmeta.intervals import interval

PER = 1000


@dataclass(frozen=True)
class Absolute:
    """Absolute effects at one control risk, per 1000 (medians and 95% CrI of the draws)."""

    label: str
    source: str
    control: float
    intervention: float
    intervention_lower: float
    intervention_upper: float
    difference: float
    difference_lower: float
    difference_upper: float

    @property
    def control_text(self) -> str:
        return f"{self.control:.0f} per {PER}"

    @property
    def intervention_text(self) -> str:
        return (
            f"{self.intervention:.0f} per {PER} "
            f"(from {self.intervention_lower:.0f} to {self.intervention_upper:.0f})"
        )

    @property
    def difference_text(self) -> str:
        return (
            f"{more_fewer(self.difference)} per {PER} "
            f"({more_fewer(self.difference_lower)} to {more_fewer(self.difference_upper)})"
        )


def more_fewer(value: float, decimals: int = 0) -> str:
    """``12 more``, ``3 fewer`` or ``0 fewer/more`` (a rounded difference of zero), to
    ``decimals`` decimals."""
    rounded = round(value, decimals)
    if rounded == 0:
        return "0 fewer/more"
    return f"{abs(rounded):.{decimals}f} {'more' if rounded > 0 else 'fewer'}"


def absolute_effects(log_or_draws, risk: float, label: str = "", source: str = "") -> Absolute:
    """Absolute effects per 1000 at the control ``risk`` from draws of the log odds ratio."""
    if not 0 < risk < 1:
        raise ValueError(f"a control risk is strictly between 0 and 1, not {risk}")
    odds_ratio = np.exp(np.asarray(log_or_draws, dtype=float).ravel())
    treated = risk * odds_ratio / (1 - risk + risk * odds_ratio)
    lo, mid, hi = interval(PER * treated)
    d_lo, d_mid, d_hi = interval(PER * (treated - risk))
    return Absolute(label, source, PER * risk, mid, lo, hi, d_mid, d_lo, d_hi)


#: Decimals of a rate per person-time (rates per 100 person-years are often a few units).
RATE_DECIMALS = 1


@dataclass(frozen=True)
class RateAbsolute:
    """Absolute effects of counts of events, as rates per person-time (the rate model's
    ``rate_control``, ``rate_treatment`` and ``rate_difference``, :mod:`hatmeta.bayes.rates`):
    the control arms pooled, with the intervention and the difference (medians and 95% CrI)."""

    unit: str  # e.g. "events per 100 person-years"
    basis: str  # how the control rate was obtained
    control: float
    intervention: float
    intervention_lower: float
    intervention_upper: float
    difference: float
    difference_lower: float
    difference_upper: float

    @classmethod
    def of(cls, summary) -> RateAbsolute:
        """From the rate model's summary, indexed by quantity."""
        control, treated, diff = (
            summary.loc[q] for q in ("rate_control", "rate_treatment", "rate_difference")
        )
        return cls(
            str(control["scale"]),
            str(control["note"]),
            float(control["median"]),
            *(float(treated[c]) for c in ("median", "lower", "upper")),
            *(float(diff[c]) for c in ("median", "lower", "upper")),
        )

    @property
    def control_text(self) -> str:
        return f"{self.control:.{RATE_DECIMALS}f} {self.unit}"

    @property
    def intervention_text(self) -> str:
        d = RATE_DECIMALS
        return (
            f"{self.intervention:.{d}f} {self.unit} "
            f"(from {self.intervention_lower:.{d}f} to {self.intervention_upper:.{d}f})"
        )

    @property
    def difference_text(self) -> str:
        d = RATE_DECIMALS
        return (
            f"{more_fewer(self.difference, d)} {self.unit} "
            f"({more_fewer(self.difference_lower, d)} to {more_fewer(self.difference_upper, d)})"
        )

    @property
    def statement_text(self) -> str:
        """The difference as a plain-language statement gives it."""
        d = RATE_DECIMALS
        return (
            f"{more_fewer(self.difference, d)} {self.unit}, 95% CrI "
            f"{more_fewer(self.difference_lower, d)} to {more_fewer(self.difference_upper, d)}"
        )
