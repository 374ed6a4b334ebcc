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
from hatmeta.evidence_rules import TrialCounts, sufficiency

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

    @classmethod
    def from_paths(cls, inputs: Mapping[str, Any]) -> ReportInputs:
        """From named input lists (the report rule's ``input``): ``audit``, ``fits``,
        ``classical``, ``figures``, ``rates``, ``certainty`` and, when configured,
        ``published`` and ``published_effects``."""
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


def verdict(fit: FitTables, rules: SparseData) -> tuple[str, str]:
    """What the report says of a fit: its status, or ``insufficient evidence``
    (:mod:`hatmeta.evidence_rules`), and why."""
    counts = fit.diagnostics.get("evidence")
    if fit.status in NOT_SHOWN or counts is None:
        return fit.status, fit.diagnostics.get("note", "")
    short = sufficiency(TrialCounts(**{k: counts[k] for k in TrialCounts._fields}), rules)
    return ("insufficient evidence", short) if short else (fit.status, "")


def fit_row(fit: FitTables, rules: SparseData) -> dict[str, Any]:
    """The headline numbers of one fit, as floats (NaN when absent or not shown)."""
    summary, trials = fit.summary, fit.trials
    status, reason = verdict(fit, rules)
    counts = fit.diagnostics.get("evidence", {})
    row: dict[str, Any] = {
        "status": status,
        "reason": reason,
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


def summary_of_findings(
    settings: Settings, fits: Mapping[tuple[str, str, str], FitTables]
) -> pd.DataFrame:
    """One row per summary analysis x evidence set under the analysis's primary prior."""
    rows = []
    for name in summary_analyses(settings.analyses):
        analysis = settings.analyses[name]
        prior = analysis.primary_prior
        for evidence in settings.evidence.run:
            rows.append(
                {
                    "analysis": name,
                    "title": analysis.title,
                    "event": analysis.outcome.event,
                    "higher_is_better": bool(analysis.outcome.higher_is_better),
                    "evidence": evidence,
                    "prior": prior,
                    **fit_row(fits[(evidence, name, prior)], settings.sparse_data),
                }
            )
    return pd.DataFrame(rows)
