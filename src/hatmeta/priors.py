"""Heterogeneity priors: the named set in the config, resolved for one analysis.

:func:`resolve` turns a configured prior into a :class:`HeterogeneityPrior`, the concrete prior
on ``tau`` that the model takes as data (see :mod:`hatmeta.bayes.model`) and that every table
and plot labels the same way.

The empirical priors of Turner et al. (2015) are log-normal priors on the between-trial
*variance* tau^2, with parameters that depend on the outcome type and the comparison type.
The values below are Table IV of the paper as coded in the R package bayesmeta
(``TurnerEtAlPrior``; Röver 2020, J Stat Softw 93(6)), the reference implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from hatmeta.config import Outcome, PriorSpec

TURNER_2015_CITATION = (
    "Turner RM, Jackson D, Wei Y, Thompson SG, Higgins JPT. Predictive distributions for "
    "between-study heterogeneity and simple methods for their application in Bayesian "
    "meta-analysis. Stat Med 2015;34:984-998, Table IV"
)

TURNER_COMPARISONS = (
    "pharmacological vs. placebo / control",
    "pharmacological vs. pharmacological",
    "non-pharmacological vs. placebo / control",
    "non-pharmacological vs. pharmacological",
    "non-pharmacological vs. non-pharmacological",
)

#: outcome type -> (mean, sd) of log(tau^2), one pair per comparison type in TURNER_COMPARISONS.
TURNER_2015: dict[str, tuple[tuple[float, float], ...]] = {
    "all-cause mortality": (
        (-3.95, 1.34),
        (-4.18, 1.41),
        (-4.17, 1.55),
        (-2.92, 1.02),
        (-3.50, 1.26),
    ),
    "obstetric outcomes": (
        (-3.52, 1.74),
        (-3.75, 1.79),
        (-3.74, 1.91),
        (-2.49, 1.50),
        (-3.08, 1.68),
    ),
    "cause-specific mortality / major morbidity event / composite (mortality or morbidity)": (
        (-3.71, 1.74),
        (-3.95, 1.79),
        (-3.93, 1.91),
        (-2.68, 1.51),
        (-3.27, 1.68),
    ),
    "resource use / hospital stay / process": (
        (-2.34, 1.74),
        (-2.58, 1.79),
        (-2.56, 1.91),
        (-1.31, 1.50),
        (-1.90, 1.68),
    ),
    "surgical / device related success / failure": (
        (-2.14, 1.74),
        (-2.37, 1.79),
        (-2.36, 1.91),
        (-1.11, 1.50),
        (-1.69, 1.68),
    ),
    "withdrawals / drop-outs": (
        (-2.99, 1.74),
        (-3.23, 1.79),
        (-3.21, 1.91),
        (-1.96, 1.51),
        (-2.55, 1.68),
    ),
    "internal / structure-related outcomes": (
        (-2.71, 1.74),
        (-2.94, 1.79),
        (-2.93, 1.92),
        (-1.67, 1.51),
        (-2.26, 1.68),
    ),
    "general physical health indicators": (
        (-2.29, 1.53),
        (-2.53, 1.58),
        (-2.51, 1.72),
        (-1.26, 1.25),
        (-1.85, 1.46),
    ),
    "adverse events": ((-1.87, 1.52), (-2.10, 1.58), (-2.10, 1.71), (-0.84, 1.24), (-1.43, 1.45)),
    "infection / onset of new disease": (
        (-2.49, 1.52),
        (-2.73, 1.58),
        (-2.71, 1.71),
        (-1.46, 1.24),
        (-2.05, 1.45),
    ),
    "signs / symptoms reflecting continuation / end of condition": (
        (-2.06, 1.51),
        (-2.29, 1.58),
        (-2.28, 1.71),
        (-1.03, 1.24),
        (-1.61, 1.45),
    ),
    "pain": ((-1.83, 1.52), (-2.06, 1.58), (-2.05, 1.71), (-0.80, 1.25), (-1.38, 1.45)),
    "quality of life / functioning (dichotomized)": (
        (-2.54, 1.54),
        (-2.78, 1.60),
        (-2.77, 1.73),
        (-1.51, 1.27),
        (-2.10, 1.47),
    ),
    "mental health indicators": (
        (-2.12, 1.53),
        (-2.35, 1.60),
        (-2.34, 1.72),
        (-1.09, 1.27),
        (-1.67, 1.47),
    ),
    "biological markers (dichotomized)": (
        (-1.77, 1.52),
        (-2.00, 1.58),
        (-1.99, 1.71),
        (-0.74, 1.24),
        (-1.33, 1.45),
    ),
    "subjective outcomes (various)": (
        (-2.70, 1.52),
        (-2.93, 1.58),
        (-2.92, 1.71),
        (-1.67, 1.25),
        (-2.26, 1.45),
    ),
}

#: Turner's "marginal" prior for any outcome and comparison (paper p. 993; bayesmeta default).
TURNER_2015_MARGINAL = (-2.56, 1.74)


class PriorError(ValueError):
    """A heterogeneity prior cannot be resolved for an analysis."""


def turner_2015(outcome_type: str | None, comparison: str) -> tuple[float, float]:
    """Mean and sd of log(tau^2) for an outcome type and comparison type.

    ``outcome_type=None`` gives Turner's marginal prior for any outcome.
    """
    if outcome_type is None:
        return TURNER_2015_MARGINAL
    if outcome_type not in TURNER_2015:
        raise PriorError(
            f"unknown Turner et al. (2015) outcome type '{outcome_type}'; "
            f"choose one of: {'; '.join(TURNER_2015)}"
        )
    if comparison not in TURNER_COMPARISONS:
        raise PriorError(f"unknown Turner et al. (2015) comparison type '{comparison}'")
    return TURNER_2015[outcome_type][TURNER_COMPARISONS.index(comparison)]


#: Names of the model's data containers that select the heterogeneity prior.
HETEROGENEITY_DATA_NAMES = ("tau_is_half_normal", "tau_hn_scale", "tau_ln_mean", "tau_ln_sd")


@dataclass(frozen=True)
class HeterogeneityPrior:
    """A concrete prior on the between-trial standard deviation ``tau``.

    ``half_normal``: ``tau ~ HalfNormal(scale)``. ``log_normal_tau2``: the Turner et al. (2015)
    form ``log(tau^2) ~ Normal(mean, sd)``. ``name`` is the configured name (file paths,
    wildcards), ``label`` the readable form used in every table and plot.
    """

    name: str
    family: Literal["half_normal", "log_normal_tau2"]
    label: str
    scale: float | None = None
    mean: float | None = None
    sd: float | None = None

    def __post_init__(self) -> None:
        if self.family == "half_normal" and not (self.scale is not None and self.scale > 0):
            raise PriorError(f"prior {self.name!r}: half_normal needs scale > 0")
        if self.family == "log_normal_tau2" and not (
            self.mean is not None and self.sd is not None and self.sd > 0
        ):
            raise PriorError(f"prior {self.name!r}: log_normal_tau2 needs mean and sd > 0")
        if self.family not in ("half_normal", "log_normal_tau2"):
            raise PriorError(f"prior {self.name!r}: unknown family {self.family!r}")

    def distribution(self):
        """This prior as a frozen SciPy distribution of ``tau`` (``log(tau^2) ~ N(mean, sd)``
        is ``log(tau) ~ N(mean / 2, sd / 2)``)."""
        from scipy import stats

        if self.family == "half_normal":
            return stats.halfnorm(scale=self.scale)
        return stats.lognorm(s=self.sd / 2.0, scale=np.exp(self.mean / 2.0))

    def data_arrays(self) -> dict[str, np.ndarray]:
        """The model's data values that select this prior.

        The parameters of the unused family are set to harmless finite values: the switch
        ``tau_is_half_normal`` multiplies that branch by zero.
        """
        half_normal = self.family == "half_normal"
        values = {
            "tau_is_half_normal": 1.0 if half_normal else 0.0,
            "tau_hn_scale": self.scale if half_normal else 1.0,
            "tau_ln_mean": 0.0 if half_normal else self.mean,
            "tau_ln_sd": 1.0 if half_normal else self.sd,
        }
        return {
            name: np.asarray(values[name], dtype="float64") for name in HETEROGENEITY_DATA_NAMES
        }


def half_normal(scale: float, name: str | None = None) -> HeterogeneityPrior:
    return HeterogeneityPrior(
        name or f"half_normal_{scale:g}",
        "half_normal",
        f"half-normal({scale:g}) on tau",
        scale=float(scale),
    )


def log_normal_tau2(mean: float, sd: float, name: str, label: str = "") -> HeterogeneityPrior:
    label = label or f"log-normal({mean:g}, {sd:g}^2)"
    return HeterogeneityPrior(
        name, "log_normal_tau2", f"{label} on tau^2", mean=float(mean), sd=float(sd)
    )


def resolve(spec: PriorSpec, outcome: Outcome, comparison: str) -> HeterogeneityPrior:
    """The configured prior ``spec`` made concrete for an analysis of ``outcome``.

    Turner et al.'s priors depend on the outcome type and the comparison type; the others do not.
    """
    if spec.family == "half_normal":
        return half_normal(spec.scale, spec.name)
    if spec.family == "log_normal_tau2":
        return log_normal_tau2(spec.mean, spec.sd, spec.name)
    if spec.family == "turner2015":
        outcome_type = outcome.turner_outcome_type
        mean, sd = turner_2015(outcome_type, comparison)
        label = f"Turner 2015 ({outcome_type or 'any outcome'}): log-normal({mean:g}, {sd:g}^2)"
        return log_normal_tau2(mean, sd, spec.name, label)
    raise PriorError(f"prior '{spec.name}': unknown family '{spec.family}'")
