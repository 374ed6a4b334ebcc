"""One analysis's certainty of evidence, absolute effects and statement, as one table row.

Counts of events (pooled by the rate model, not the binomial one) are rated by
:mod:`hatmeta.certainty.events` with the same domains, overrides and statements.

:func:`assess_analysis` takes the files of one fit under the analysis's primary prior (the
included trials, summary, diagnostics, posterior), its classical results (for I²), the
follow-up of its trials and the risk-of-bias judgements, applies every domain's rule and the
panel's overrides, and returns the row of ``certainty.csv``; :func:`certainty_table` does so
for every analysis of one evidence set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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
from hatmeta.certainty.absolute import absolute_effects, more_fewer
from hatmeta.certainty.rows import SEPARATOR, FitInputs, outcome_name, rated, row_head
from hatmeta.certainty.statements import no_estimate, size, statement
from hatmeta.evidence_rules import TrialCounts, rated_by_rates, sufficiency

if TYPE_CHECKING:
    from hatmeta.certainty.events import RateInputs
    from hatmeta.certainty.publication_bias import RegressionTest
    from hatmeta.config import Analysis, CertaintySettings

#: Fit statuses without a pooled estimate (no certainty is rated).
NOT_ESTIMATED = ("no data", "not modelled", "not run")


def read_draws(posterior_path: str) -> np.ndarray | None:
    """Draws of the pooled log odds ratio ``d`` (None for an empty posterior)."""
    from hatmeta.io import posterior_draws

    posterior, _ = posterior_draws(posterior_path, ["d"])
    return None if posterior is None else np.asarray(posterior["d"].values, dtype=float).ravel()


def reml_i2(classical: pd.DataFrame) -> float:
    """I² of the REML random-effects odds ratio (NaN when absent)."""
    rows = (
        classical[
            (classical.get("section") == "pooled")
            & (classical["method"] == "REML random")
            & (classical["measure"] == "OR")
        ]
        if len(classical)
        else classical
    )
    return float(rows["I2"].iloc[0]) if len(rows) else float("nan")


def follow_up(harmonised: pd.DataFrame, trials: pd.DataFrame, outcome: str) -> str:
    """The follow-up times of the included trials' measures, in order of first appearance."""
    if trials.empty:
        return ""
    keys = set(zip(trials["trial"], trials["measure"], strict=True))
    rows = harmonised[harmonised["outcome"] == outcome]
    times = [
        str(r.timepoint)
        for r in rows.itertuples(index=False)
        if (r.trial, r.measure) in keys and isinstance(r.timepoint, str)
    ]
    return "; ".join(dict.fromkeys(times))


def _quantity(summary: pd.DataFrame | None, quantity: str, column: str = "median") -> float:
    if summary is None or quantity not in summary.index:
        return float("nan")
    return float(summary.at[quantity, column])


def _status(fit: FitInputs, settings: CertaintySettings) -> tuple[str, str]:
    status = fit.diagnostics.get("status", "unknown")
    counts = fit.diagnostics.get("evidence")
    if status in NOT_ESTIMATED or counts is None or fit.log_or_draws is None:
        return status, fit.diagnostics.get("note", "")
    short = sufficiency(
        TrialCounts(**{k: counts[k] for k in TrialCounts._fields}), settings.sparse_data
    )
    return ("insufficient evidence", short) if short else (status, "")


def assess_analysis(
    analysis: Analysis,
    fit: FitInputs,
    rob: pd.DataFrame | None,
    settings: CertaintySettings,
    rates: RateInputs | None = None,
) -> tuple[dict[str, Any], RegressionTest | None]:
    """The certainty row of one analysis, and the funnel-asymmetry test when one was run.

    An analysis the binomial model leaves out because its counts are events ("not modelled")
    is rated from its rate fit when ``rates`` has one (:mod:`hatmeta.certainty.events`).
    """
    if rates is not None and rated_by_rates(fit.diagnostics.get("status", ""), rates.fitted):
        from hatmeta.certainty.events import assess_events

        return assess_events(analysis, fit, rates, rob, settings)
    trials = fit.trials
    status, reason = _status(fit, settings)
    counts = fit.diagnostics.get("evidence") or {}
    row = row_head(analysis, trials, fit.follow_up, status, reason)
    participants = row["n_participants"]
    treatment, control = settings.treatment_label, settings.control_label
    named = outcome_name(analysis, settings)
    if status in NOT_ESTIMATED:
        return row | {
            "rating": np.nan,
            "certainty": "not rated",
            "statement": no_estimate(status, reason, treatment, named),
        }, None
    draws = fit.log_or_draws
    odds_ratio = np.exp(draws)
    from hatmeta.intervals import interval

    or_lower, or_median, or_upper = interval(odds_ratio)
    summary = fit.summary
    pred = (
        _quantity(summary, "OR_predictive", "lower"),
        _quantity(summary, "OR_predictive", "upper"),
    )
    base = counts.get("baseline_risk")
    base = None if base is None or (isinstance(base, float) and math.isnan(base)) else float(base)
    test = None
    domains = [
        risk_of_bias.assess(trials, rob, analysis, settings),
        inconsistency.assess(
            len(trials), _quantity(summary, "tau"), (or_lower, or_upper), pred, fit.i2, settings
        ),
        indirectness.assess(analysis, trials, settings),
        imprecision.assess(
            draws, base, participants, analysis.outcome.higher_is_better, reason, settings
        ),
    ]
    bias, test = publication_bias.assess(trials, settings)
    domains.append(bias)
    row |= {
        "effect_measure": "OR",
        "or_median": or_median,
        "or_lower": or_lower,
        "or_upper": or_upper,
        "tau_median": _quantity(summary, "tau"),
        "i2": fit.i2,
        "publication_bias_p": np.nan if test is None else test.p,
        "baseline_risk": np.nan if base is None else base,
        "baseline_source": counts.get("baseline_source", ""),
        "no_absolute_measures": counts.get("no_absolute_measures", ""),
    }
    row |= rated(domains, analysis, settings)
    value = row["rating"]
    absolute = ""
    if base is not None and status != "insufficient evidence":
        effect = absolute_effects(draws, base, "assumed control risk", row["baseline_source"])
        row |= {
            "control_per_1000": effect.control,
            "risk_with_intervention": effect.intervention_text,
            "risk_difference": effect.difference_text,
            "rd_per_1000_median": effect.difference,
            "rd_per_1000_lower": effect.difference_lower,
            "rd_per_1000_upper": effect.difference_upper,
        }
        absolute = (
            f"{more_fewer(effect.difference)} per 1000, 95% CrI "
            f"{more_fewer(effect.difference_lower)} to {more_fewer(effect.difference_upper)}"
        )
        extra = [
            absolute_effects(draws, b.value, b.label, b.source)
            for b in settings.baseline_risks.get(analysis.outcome.name, ())
        ]
        row["other_baselines"] = SEPARATOR.join(
            f"{e.label} ({e.control_text}; {e.source}): {e.intervention_text}, {e.difference_text}"
            for e in extra
        )
    if status == "insufficient evidence":
        # Counts and certainty only: sparse data carry no estimate (hatmeta.evidence_rules).
        row |= {key: np.nan for key in ("or_median", "or_lower", "or_upper", "tau_median")}
        row["statement"] = no_estimate(status, reason, treatment, named)
    else:
        row["statement"] = statement(
            value, _size(row, base, analysis, settings), treatment, control, named, absolute
        )
    return row, test


def _size(row: Mapping[str, Any], base: float | None, analysis: Analysis, settings) -> str:
    odds = imprecision.thresholds(settings.relevant_or, analysis.outcome.higher_is_better)
    if base is None:
        return size(row["or_median"], odds["benefit"], odds["harm"], 1.0)
    per_1000 = {
        k: 1000 * float(imprecision.risk_difference(math.log(v), base)) for k, v in odds.items()
    }
    return size(row["rd_per_1000_median"], per_1000["benefit"], per_1000["harm"], 0.0)


def certainty_table(
    settings: CertaintySettings,
    fits: Mapping[str, FitInputs],
    rob: pd.DataFrame | None,
    rates: Mapping[str, RateInputs] | None = None,
) -> tuple[pd.DataFrame, dict[str, RegressionTest]]:
    """One row per analysis (in config order), and the funnel tests that were run; ``rates``:
    the rate fits by analysis, for the analyses whose counts are events."""
    from hatmeta.config import sensitivity_of

    rows, tests = [], {}
    rates = rates or {}
    primary = sensitivity_of(settings.analyses)
    for name, analysis in settings.analyses.items():
        row, test = assess_analysis(analysis, fits[name], rob, settings, rates.get(name))
        # Every analysis after the first of its outcome is one of its sensitivity analyses.
        row["sensitivity_of"] = settings.analyses[primary[name]].title if name in primary else ""
        rows.append(row)
        if test is not None:
            tests[name] = test
    frame = pd.DataFrame(rows)
    return frame.reindex(columns=list(dict.fromkeys([*rows[0], *frame.columns]))), tests
