"""Heterogeneity priors: the named set in the config, resolved for one analysis.

The empirical priors of Turner et al. (2015) are log-normal priors on the between-trial
*variance* tau^2, with parameters that depend on the outcome type and the comparison type.
The values below are Table IV of the paper as coded in the R package bayesmeta
(``TurnerEtAlPrior``; Röver 2020, J Stat Softw 93(6)), the reference implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def resolve(
    name: str, spec: Mapping[str, Any], outcome: Mapping[str, Any], comparison: str
) -> dict[str, Any]:
    """Turn a config prior entry into concrete parameters for one analysis.

    Returns a dict with ``name``, ``family`` (``half_normal`` or ``log_normal_tau2``), the
    family's parameters (``scale``, or ``mean`` and ``sd`` of log tau^2) and a ``label`` for
    tables and plots.
    """
    family = spec["family"]
    if family == "half_normal":
        return {
            "name": name,
            "family": family,
            "scale": float(spec["scale"]),
            "label": f"half-normal({spec['scale']:g}) on tau",
        }
    if family == "log_normal_tau2":
        mean, sd = float(spec["mean"]), float(spec["sd"])
        return {
            "name": name,
            "family": family,
            "mean": mean,
            "sd": sd,
            "label": f"log-normal({mean:g}, {sd:g}^2) on tau^2",
        }
    if family == "turner2015":
        outcome_type = outcome.get("turner_outcome_type")
        mean, sd = turner_2015(outcome_type, comparison)
        label = f"Turner 2015 ({outcome_type or 'any outcome'}): log-normal({mean:g}, {sd:g}^2)"
        return {
            "name": name,
            "family": "log_normal_tau2",
            "mean": mean,
            "sd": sd,
            "label": label + " on tau^2",
        }
    raise PriorError(f"prior '{name}': unknown family '{family}'")
