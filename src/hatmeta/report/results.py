"""The report's inputs, read from the files its rule declares, and its summary of findings.

:class:`ReportInputs` holds exactly the paths the ``report`` rule lists; nothing else under
``results/`` is read, so what the config no longer asks for is never shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta import layout
from hatmeta.evidence_rules import TrialCounts, rated_by_rates, sufficiency

if TYPE_CHECKING:
    from hatmeta.config import Analysis, Settings, SparseData


@dataclass(frozen=True)
class ReportInputs:
    """The files the report renders, keyed by their wildcards."""

    audit: str
    fits: dict[tuple[str, str, str], layout.FitFiles]
    classical: dict[tuple[str, str], str]
    forest: dict[str, str]
    prior_sensitivity: dict[str, str]
    rank: dict[str, str]
    published: str | None = None
    #: Rate-stage files by (evidence, analysis): (rates, diagnostics).
    rates: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: The published effects file, for the published results shown beside each analysis.
    published_effects: str | None = None
    #: The certainty table of the main evidence set, and the funnel plots.
    certainty: str | None = None
    funnel: dict[str, str] = field(default_factory=dict)
    #: The trial x analysis matrix (main evidence set), when the run has a trials table.
    flow_matrix: str | None = None

    @classmethod
    def from_paths(cls, inputs: Mapping[str, Any]) -> ReportInputs:
        """From named input lists (the report rule's ``input``): ``audit``, ``fits``,
        ``classical``, ``figures``, ``rates``, ``certainty`` and, when configured,
        ``published``, ``published_effects`` and ``flow_matrix``."""
        figures = list(inputs["figures"])
        published = list(_as_list(inputs.get("published")))
        effects = list(_as_list(inputs.get("published_effects")))
        certainty = list(_as_list(inputs.get("certainty")))
        return cls(
            audit=str(inputs["audit"]),
            fits=layout.fits_index(inputs["fits"]),
            classical=layout.index(layout.CLASSICAL, inputs["classical"]),
            forest=_by_analysis(layout.FOREST, figures),
            prior_sensitivity=_by_analysis(layout.PRIOR_SENSITIVITY, figures),
            rank=_by_analysis(layout.RANK_PLOT, figures),
            published=published[0] if published else None,
            rates=layout.rates_index(_as_list(inputs.get("rates"))),
            published_effects=effects[0] if effects else None,
            certainty=certainty[0] if certainty else None,
            funnel=_by_analysis(layout.FUNNEL, figures),
            flow_matrix=inputs.get("flow_matrix"),
        )


def _as_list(value) -> Iterable[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _by_analysis(pattern: str, paths: list[str]) -> dict[str, str]:
    return {analysis: path for (_, analysis), path in layout.index(pattern, paths).items()}


@dataclass(frozen=True)
class FitTables:
    """One fit's files, read. ``summary`` (indexed by quantity) is None for a 'no data' fit."""

    summary: pd.DataFrame | None
    trials: pd.DataFrame
    loo: pd.DataFrame
    diagnostics: dict[str, Any]
    posterior: str

    @property
    def status(self) -> str:
        return self.diagnostics.get("status", "unknown")


def read_fit(files: layout.FitFiles) -> FitTables:
    """Summary, trials, leave-one-out and diagnostics of one fit."""
    summary = pd.read_csv(files.summary)
    has_data = "median" in summary.columns and not summary.empty
    with open(files.diagnostics) as handle:
        diagnostics = json.load(handle)
    return FitTables(
        summary=summary.set_index("quantity") if has_data else None,
        trials=pd.read_csv(files.trials),
        loo=pd.read_csv(files.loo),
        diagnostics=diagnostics,
        posterior=files.posterior,
    )


@dataclass(frozen=True)
class RateTables:
    """One analysis's rate fit, read: ``summary`` indexed by quantity (None without a fit)."""

    summary: pd.DataFrame | None
    diagnostics: dict[str, Any]

    @property
    def status(self) -> str:
        return self.diagnostics.get("status", "unknown")

    @property
    def fitted(self) -> bool:
        return self.summary is not None and "rate_ratio" in self.summary.index


def read_rates(files: tuple[str, str]) -> RateTables:
    """The rate summary and diagnostics of one analysis (:mod:`hatmeta.bayes.rate_stage`)."""
    summary = pd.read_csv(files[0])
    with open(files[1]) as handle:
        diagnostics = json.load(handle)
    fitted = "median" in summary.columns and not summary.empty
    return RateTables(summary.set_index("quantity") if fitted else None, diagnostics)


def _value(summary: pd.DataFrame | None, quantity: str, column: str = "median") -> float:
    if summary is None or quantity not in summary.index:
        return float("nan")
    return float(summary.at[quantity, column])


#: Verdicts under which no pooled numbers are shown.
NOT_SHOWN = ("no data", "not run", "not modelled", "insufficient evidence")


def verdict(fit: FitTables | RateTables, rules: SparseData) -> tuple[str, str]:
    """What the report says of a fit (binomial or rate): its status, or ``insufficient
    evidence`` (:mod:`hatmeta.evidence_rules`), and why."""
    counts = fit.diagnostics.get("evidence")
    if fit.status in NOT_SHOWN or counts is None:
        return fit.status, fit.diagnostics.get("note", "")
    short = sufficiency(TrialCounts(**{k: counts[k] for k in TrialCounts._fields}), rules)
    return ("insufficient evidence", short) if short else (fit.status, "")


#: The relative effect of a result row (and of a certainty row): its name and column prefix,
#: by ``effect_measure``.
RELATIVE = {"OR": ("OR", "or"), "rate ratio": ("Rate ratio", "rate_ratio")}
#: Why a rate result has no risk ratio or risk difference.
NO_RISKS = (
    "counts of events are pooled as a rate ratio; their rates per person-time are in the "
    "analysis's section"
)


def fit_row(fit: FitTables, rules: SparseData) -> dict[str, Any]:
    """The headline numbers of one fit, as floats (NaN when absent or not shown)."""
    summary, trials = fit.summary, fit.trials
    status, reason = verdict(fit, rules)
    counts = fit.diagnostics.get("evidence", {})
    row: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "effect_measure": "OR",
        "events": counts.get("events"),
        "baseline_source": counts.get("baseline_source", ""),
        "no_absolute_measures": counts.get("no_absolute_measures", ""),
        "n_trials": len(trials),
        "n_participants": int(trials["total_treatment"].sum() + trials["total_control"].sum())
        if len(trials)
        else 0,
    }
    for quantity, key in (
        ("OR", "or"),
        ("OR_predictive", "pred"),
        ("RR", "rr"),
        ("RD", "rd"),
        ("tau", "tau"),
        ("rate_ratio", "rate_ratio"),
    ):
        for column in ("median", "lower", "upper"):
            row[f"{key}_{column}"] = _value(summary, quantity, column)
    row["p_benefit"] = _value(summary, "P(benefit)", "mean")
    row["p_relevant"] = _value(summary, "P(clinically relevant benefit)", "mean")
    row["baseline_risk"] = _value(summary, "baseline_risk")
    for column in ("median", "lower", "upper"):
        row[f"nn_{column}"] = _value(summary, "OR_normal_normal", column)
    row["nn_p_benefit"] = _value(summary, "P(benefit)_normal_normal", "mean")
    if status in NOT_SHOWN:
        # Counts only: no probabilities (and no estimates) for what the evidence cannot carry.
        row |= {key: float("nan") for key, value in row.items() if isinstance(value, float)}
    return row


def rate_numbers(rates: RateTables, rules: SparseData, higher_is_better: bool) -> dict[str, Any]:
    """The headline numbers of a rate fit in the columns of :func:`fit_row`: the rate ratio
    (``rate_ratio_*``), a new trial's rate ratio (``pred_*``), tau and P(benefit), with the rate
    fit's verdict and counts of events; no OR, RR or RD."""
    summary = rates.summary
    status, reason = verdict(rates, rules)
    above = _value(summary, "P(rate_ratio > 1)", "mean")
    row: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "effect_measure": "rate ratio",
        "events": (rates.diagnostics.get("evidence") or {}).get("events"),
        "no_absolute_measures": NO_RISKS,
        "p_benefit": above if higher_is_better else 1 - above,
    }
    for quantity, key in (("rate_ratio", "rate_ratio"), ("rate_ratio_new_trial", "pred")):
        for column in ("median", "lower", "upper"):
            row[f"{key}_{column}"] = _value(summary, quantity, column)
    for column in ("median", "lower", "upper"):
        row[f"tau_{column}"] = _value(summary, "tau", column)
        row |= {f"{key}_{column}": float("nan") for key in ("or", "rr", "rd", "nn")}
    row |= dict.fromkeys(("p_relevant", "baseline_risk", "nn_p_benefit"), float("nan"))
    if status in NOT_SHOWN:
        row |= {key: float("nan") for key, value in row.items() if isinstance(value, float)}
    return row


def result_row(
    fit: FitTables, rates: RateTables | None, rules: SparseData, higher_is_better: bool
) -> dict[str, Any]:
    """The result of one analysis in one evidence set, which every part of the report states:
    the binomial fit's (:func:`fit_row`), or, for counts of events that the rate model pooled
    (:func:`hatmeta.evidence_rules.rated_by_rates`), the rate fit's (:func:`rate_numbers`)."""
    row = fit_row(fit, rules)
    if rates is None or not rated_by_rates(fit.status, rates.fitted):
        return row
    return row | rate_numbers(rates, rules, higher_is_better)


def relative_effect(row: Mapping[str, Any]) -> tuple[str, float, float, float]:
    """The relative effect of a result (or certainty) row: its name ('OR', 'Rate ratio'), median
    and 95% interval (NaN when not estimated)."""
    measure = row.get("effect_measure")
    name, prefix = RELATIVE[measure if isinstance(measure, str) else "OR"]
    values = (row.get(f"{prefix}_{c}") for c in ("median", "lower", "upper"))
    return name, *(float("nan") if v is None else float(v) for v in values)


def summary_analyses(analyses: Mapping[str, Analysis]) -> list[str]:
    """The analyses of the summary of findings: the first analysis listed for each outcome.

    The config lists each outcome's main analysis first (e.g. an analysis of the primary trial
    set before one of every trial); the others are variants shown in their own sections.
    """
    seen, chosen = set(), []
    for name, analysis in analyses.items():
        if analysis.outcome.name not in seen:
            seen.add(analysis.outcome.name)
            chosen.append(name)
    return chosen


def results_table(
    settings: Settings,
    fits: Mapping[tuple[str, str, str], FitTables],
    rates: Mapping[tuple[str, str], RateTables] | None = None,
    names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The result (:func:`result_row`) of each analysis in ``names`` (default: every analysis)
    x evidence set, under the analysis's primary prior: the one table the summary of findings,
    the Bayesian detail and the plain-language text are written from."""
    rows = []
    for name in settings.analyses if names is None else names:
        analysis = settings.analyses[name]
        prior = analysis.primary_prior
        higher = bool(analysis.outcome.higher_is_better)
        for evidence in settings.evidence.run:
            fit = fits[(evidence, name, prior)]
            found = (rates or {}).get((evidence, name))
            rows.append(
                {
                    "analysis": name,
                    "title": analysis.title,
                    "event": analysis.outcome.event,
                    "higher_is_better": higher,
                    "evidence": evidence,
                    "prior": prior,
                    **result_row(fit, found, settings.sparse_data, higher),
                }
            )
    return pd.DataFrame(rows)


def summary_of_findings(
    settings: Settings,
    fits: Mapping[tuple[str, str, str], FitTables],
    rates: Mapping[tuple[str, str], RateTables] | None = None,
) -> pd.DataFrame:
    """One row per summary analysis x evidence set under the analysis's primary prior
    (:func:`results_table` of :func:`summary_analyses`)."""
    return results_table(settings, fits, rates, summary_analyses(settings.analyses))
