"""Certainty of an analysis whose counts are events, from the rate model.

Counts of events (a participant may have several) are left out of the binomial model ("not
modelled", :mod:`hatmeta.bayes.stage`) and pooled over person-time by the rate model
(:mod:`hatmeta.bayes.rate_stage`: ``rates.csv`` and ``rates_diagnostics.json``). Their certainty
is rated with the same domains, thresholds, overrides and statements as any other analysis,
each rule applied to the rate model's quantities:

* **risk of bias**: the same rule, each trial weighted by the inverse variance of its log rate
  ratio, ``1 / (1/y_T + 1/y_C)`` (:func:`hatmeta.certainty.risk_of_bias.log_rate_ratio_weights`);
* **inconsistency**: the posterior median tau of the log rate ratio against the same
  thresholds, and a new trial's 95% prediction interval of the rate ratio
  (``rate_ratio_new_trial``) reaching the other side of 1 while the pooled 95% CrI does not; the
  classical 2 x 2 methods do not apply, so there is no I²;
* **indirectness**: the analysis's reasons, and person-time approximated rather than published
  (``exposure_approximated``, with the rate stage's ``exposure_reason``) as one more reason;
* **imprecision**: the rate ratio's 95% CrI against 1 and the clinically relevant ratio either
  side (:func:`hatmeta.certainty.imprecision.assess_ratio`); the optimal information size is not
  computed for rates;
* **publication bias**: as for every analysis (not assessable below ``min_trials``; with more,
  the regression test on the trials' log rate ratios).

The sparse-data rule applies as for risks (:func:`hatmeta.evidence_rules.sufficiency` on the
rate fit's counts): counts and certainty, no estimate. Otherwise the relative effect is the rate
ratio and the absolute effects are the rate model's rates per person-time
(:class:`hatmeta.certainty.absolute.RateAbsolute`): the control arms pooled, with the
intervention, and the difference.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hatmeta.certainty import (
    imprecision,
    inconsistency,
    indirectness,
    publication_bias,
    risk_of_bias,
)
from hatmeta.certainty.absolute import RateAbsolute
from hatmeta.certainty.rows import outcome_name, rated, row_head
from hatmeta.certainty.statements import no_estimate, size, statement
from hatmeta.evidence_rules import TrialCounts, sufficiency

if TYPE_CHECKING:
    from hatmeta.certainty.publication_bias import RegressionTest
    from hatmeta.certainty.rows import FitInputs
    from hatmeta.config import Analysis, CertaintySettings

#: The relative effect of counts of events.
MEASURE = "rate ratio"
#: Why a rate analysis has no I².
NO_I2 = "not available (the classical 2 x 2 methods do not apply to counts of events)"
#: Why the rate ratio's imprecision has no optimal information size.
NO_OIS = (
    "optimal information size not computed for rates (it is defined here for proportions of "
    "participants, not for events over person-time)"
)
#: The indirectness reason of approximated person-time, when the rate stage gives none.
APPROXIMATED = "person-time approximated"


@dataclass(frozen=True)
class RateInputs:
    """One analysis's rate fit as the certainty stage reads it: ``summary`` (``rates.csv``)
    indexed by quantity, None without a fit; ``diagnostics`` (``rates_diagnostics.json``)."""

    summary: pd.DataFrame | None
    diagnostics: dict[str, Any]

    @property
    def fitted(self) -> bool:
        return self.summary is not None and "rate_ratio" in self.summary.index


def read_rate_inputs(rates_path: str, diagnostics_path: str) -> RateInputs:
    """The rate-stage files of one analysis, read."""
    summary = pd.read_csv(rates_path)
    with open(diagnostics_path) as handle:
        diagnostics = json.load(handle)
    fitted = "median" in summary.columns and not summary.empty
    return RateInputs(summary.set_index("quantity") if fitted else None, diagnostics)


def rate_trials(trials: pd.DataFrame, diagnostics: dict[str, Any]) -> pd.DataFrame:
    """The included trials with the events and person-years of both arms the rate model
    pooled (``person_years`` of the rate diagnostics), in the rate fit's order; the other
    columns (measure, control arm, participants) from the fit's trials."""
    arms = pd.DataFrame(diagnostics.get("person_years", []))
    if arms.empty:
        return trials.iloc[0:0]
    wide = arms.pivot(index="trial", columns="role", values=["events", "person_years"])
    wide = wide.loc[pd.unique(arms["trial"])]
    counts = pd.DataFrame(
        {
            "trial": wide.index.astype(str),
            **{
                f"{value}_{role}": wide[(value, role)].to_numpy(dtype=float)
                for value in ("events", "person_years")
                for role in ("treatment", "control")
            },
        }
    )
    rest = trials.drop(columns=["events_treatment", "events_control"], errors="ignore")
    rest = rest.assign(trial=rest["trial"].astype(str))
    return counts.merge(rest, on="trial", how="left", validate="one_to_one")


def approximation(diagnostics: dict[str, Any]) -> list[str]:
    """Person-time approximated as a reason for indirectness (none when it was published)."""
    if not diagnostics.get("exposure_approximated"):
        return []
    reason = str(diagnostics.get("exposure_reason") or "").strip()
    return [reason if reason.lower().startswith(APPROXIMATED) else f"{APPROXIMATED}: {reason}"]


def _value(summary: pd.DataFrame, quantity: str, column: str = "median") -> float:
    return float(summary.at[quantity, column]) if quantity in summary.index else float("nan")


def assess_events(
    analysis: Analysis,
    fit: FitInputs,
    rates: RateInputs,
    rob: pd.DataFrame | None,
    settings: CertaintySettings,
) -> tuple[dict[str, Any], RegressionTest | None]:
    """The certainty row of an analysis whose counts are events, from its rate fit, and the
    funnel-asymmetry test when one was run (module docstring)."""
    summary, diag = rates.summary, rates.diagnostics
    trials = rate_trials(fit.trials, diag)
    counts = diag.get("evidence") or {}
    short = sufficiency(
        TrialCounts(**{k: counts[k] for k in TrialCounts._fields}), settings.sparse_data
    )
    status, reason = ("insufficient evidence", short) if short else (diag.get("status", ""), "")
    row = row_head(analysis, trials, fit.follow_up, status, reason)
    lower, median, upper = (_value(summary, "rate_ratio", c) for c in ("lower", "median", "upper"))
    predicted = (
        _value(summary, "rate_ratio_new_trial", "lower"),
        _value(summary, "rate_ratio_new_trial", "upper"),
    )
    tau = _value(summary, "tau")
    weights = risk_of_bias.log_rate_ratio_weights(trials)
    higher = analysis.outcome.higher_is_better
    domains = [
        risk_of_bias.assess(trials, rob, analysis, settings, weights),
        inconsistency.assess(
            len(trials), tau, (lower, upper), predicted, math.nan, settings, MEASURE, NO_I2
        ),
        indirectness.assess(analysis, trials, settings, approximation(diag), weights),
        imprecision.assess_ratio(lower, upper, higher, reason, settings, MEASURE, NO_OIS, ""),
    ]
    bias, test = publication_bias.assess(trials, settings, publication_bias.trial_log_rate_ratios)
    domains.append(bias)
    row |= {
        "effect_measure": MEASURE,
        "rate_ratio_median": median,
        "rate_ratio_lower": lower,
        "rate_ratio_upper": upper,
        "rate_ratio_new_trial_lower": predicted[0],
        "rate_ratio_new_trial_upper": predicted[1],
        "tau_median": tau,
        "i2": math.nan,
        "publication_bias_p": np.nan if test is None else test.p,
        "exposure_approximated": bool(diag.get("exposure_approximated")),
    }
    row |= rated(domains, analysis, settings)
    treatment, control = settings.treatment_label, settings.control_label
    named = outcome_name(analysis, settings, events=True)
    if status == "insufficient evidence":
        # Counts and certainty only: sparse data carry no estimate (hatmeta.evidence_rules).
        row |= {
            key: np.nan
            for key in ("rate_ratio_median", "rate_ratio_lower", "rate_ratio_upper", "tau_median")
        }
        row["statement"] = no_estimate(status, reason, treatment, named)
        return row, test
    effect = RateAbsolute.of(summary)
    row |= {
        "rate_unit": effect.unit,
        "control_rate": effect.control,
        "control_rate_text": effect.control_text,
        "control_rate_basis": effect.basis,
        "risk_with_intervention": effect.intervention_text,
        "risk_difference": effect.difference_text,
        "rate_treatment_median": effect.intervention,
        "rate_treatment_lower": effect.intervention_lower,
        "rate_treatment_upper": effect.intervention_upper,
        "rate_difference_median": effect.difference,
        "rate_difference_lower": effect.difference_lower,
        "rate_difference_upper": effect.difference_upper,
    }
    ratios = imprecision.thresholds(settings.relevant_or, higher)
    judged = size(median, ratios["benefit"], ratios["harm"], 1.0)
    row["statement"] = statement(
        row["rating"], judged, treatment, control, named, effect.statement_text
    )
    return row, test
