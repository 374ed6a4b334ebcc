"""The report's sections as display-ready rows, from fit files and tables already read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.classical import RATIOS
from hatmeta.display import fmt_p, p_text
from hatmeta.figures import prior_labels
from hatmeta.report.format import (
    DASH,
    fmt_interval,
    fmt_number,
    fmt_prob,
    fmt_ratio,
    fmt_rd,
    missing,
    records,
)
from hatmeta.report.images import png_data_uri
from hatmeta.report.results import (
    NOT_SHOWN,
    FitTables,
    fit_row,
    read_rates,
    relative_effect,
    verdict,
)
from hatmeta.report.sensitivity import unchanged

if TYPE_CHECKING:
    from hatmeta.config import Settings
    from hatmeta.report.results import ReportInputs

Fits = Mapping[tuple[str, str, str], FitTables]


def formatted_result(row: Mapping[str, Any]) -> dict[str, str]:
    """Display strings of the headline numbers of a fit row (counts only, with the reason, for
    a fit whose numbers are not shown)."""
    counts = {
        "status": row["status"],
        "reason": row.get("reason") or "",
        "n_trials": str(row["n_trials"]),
        "n_participants": str(row["n_participants"]),
        "events": fmt_number(row.get("events")),
    }
    if row["status"] in NOT_SHOWN:
        return counts
    measure, median, lower, upper = relative_effect(row)
    return counts | {
        "measure": measure,
        "effect": fmt_ratio(median),
        "effect_ci": fmt_interval(lower, upper),
        "no_absolute": row.get("no_absolute_measures") or "",
        "baseline": f"{fmt_prob(row.get('baseline_risk'))} ({row.get('baseline_source') or ''})",
        "nn": f"{fmt_ratio(row['nn_median'])} ({fmt_interval(row['nn_lower'], row['nn_upper'])})",
        "nn_p_benefit": fmt_prob(row["nn_p_benefit"]),
        "n_trials": str(row["n_trials"]),
        "n_participants": str(row["n_participants"]),
        "or": fmt_ratio(row["or_median"]),
        "or_ci": fmt_interval(row["or_lower"], row["or_upper"]),
        "rr": fmt_ratio(row["rr_median"]),
        "rr_ci": fmt_interval(row["rr_lower"], row["rr_upper"]),
        "rd": fmt_rd(row["rd_median"]),
        "rd_ci": fmt_interval(row["rd_lower"], row["rd_upper"], fmt_rd),
        "pred_ci": fmt_interval(row["pred_lower"], row["pred_upper"]),
        "tau": fmt_number(row["tau_median"], 2),
        "p_benefit": fmt_prob(row["p_benefit"]),
        "p_relevant": fmt_prob(row["p_relevant"]),
    }


def sof_rows(sof: pd.DataFrame, evidence_sets: Sequence[str]) -> list[dict[str, Any]]:
    """The summary-of-findings table: one row per analysis, evidence sets side by side."""
    rows = []
    for analysis, group in sof.groupby("analysis", sort=False):
        first = group.iloc[0]
        by_evidence = {r["evidence"]: formatted_result(r) for r in group.to_dict("records")}
        rows.append(
            {
                "analysis": analysis,
                "title": first["title"],
                "event": first["event"],
                "higher_is_better": bool(first["higher_is_better"]),
                "prior": first["prior"],
                "results": [by_evidence.get(e, {"status": "not run"}) for e in evidence_sets],
            }
        )
    return rows


def classical_rows(frame: pd.DataFrame, absolute: bool) -> list[dict[str, Any]]:
    """The pooled classical rows, formatted: OR always; RR and RD only when ``absolute`` (the
    trials share one outcome definition, :mod:`hatmeta.evidence_rules`)."""
    if frame.empty:
        return []
    pooled = frame[frame["section"] == "pooled"]
    if not absolute:
        pooled = pooled[pooled["measure"] == "OR"]
    rows = []
    for r in records(pooled):
        fmt = fmt_ratio if r["measure"] in RATIOS else fmt_rd

        def interval(lower, upper, fmt=fmt):
            return DASH if missing(lower) else fmt_interval(lower, upper, fmt)

        q = DASH
        if not missing(r.get("Q")):
            q = f"{fmt_number(r['Q'], 3)} ({fmt_number(r['df'])} df, {p_text(r['p_Q'])})"
        rows.append(
            {
                "method": r["method"],
                "measure": r["measure"] + (" (% points)" if r["measure"] == "RD" else ""),
                "estimate": fmt(r["estimate"]),
                "interval": interval(r["lower"], r["upper"]),
                "hksj": interval(r.get("hksj_lower"), r.get("hksj_upper")),
                "prediction": interval(r.get("pi_lower"), r.get("pi_upper")),
                "tau2": fmt_number(r.get("tau2"), 2),
                "i2": fmt_prob(r.get("I2")),
                "q": q,
                "n_trials": fmt_number(r["n_trials"]),
            }
        )
    return rows


def loo_rows(loo: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in records(loo):
        if "OR_median" not in r:
            continue
        rows.append(
            {
                "left_out": r["left_out"].replace(";", ", "),
                "kind": r.get("kind") or "",
                "conflict_p": fmt_p(r.get("conflict_p")),
                "n_included": fmt_number(r.get("n_included")),
                "or": fmt_ratio(r["OR_median"]),
                "interval": fmt_interval(r["OR_lower"], r["OR_upper"]),
                "tau": fmt_number(r.get("tau_median"), 2),
                "p": fmt_prob(r.get("P(OR>1)")),
                "failures": r.get("failures") or "",
            }
        )
    return rows


def rate_rows(settings: Settings, inputs: ReportInputs, name: str) -> list[dict[str, Any]]:
    """The rate model's results of one analysis, one row per evidence set that has a rate fit
    (empty when its counts are of participants)."""
    rules = settings.sparse_data
    rows = []
    for evidence in settings.evidence.run:
        files = inputs.rates.get((evidence, name))
        if files is None:
            continue
        fit = read_rates(files)
        if fit.summary is None:
            continue
        summary, diag = fit.summary, fit.diagnostics

        def cell(quantity: str, fmt=fmt_number, summary=summary) -> tuple[str, str]:
            row = summary.loc[quantity]
            return fmt(row["median"]), fmt_interval(row["lower"], row["upper"], fmt)

        rate = fmt_number
        # The sparse-data rule holds for rates as for risks: counts, no probabilities.
        status, reason = verdict(fit, rules)
        rows.append(
            {
                "evidence": evidence,
                "status": status,
                "reason": reason,
                "fit_status": fit.status,
                "n_trials": int(diag.get("n_trials", 0)),
                "events": diag.get("evidence", {}).get("events"),
                "ratio": cell("rate_ratio", fmt_ratio),
                "p_above_1": fmt_prob(summary.at["P(rate_ratio > 1)", "mean"]),
                "ratio_new": cell("rate_ratio_new_trial", fmt_ratio),
                "control": rate(summary.at["rate_control", "median"]),
                "control_basis": summary.at["rate_control", "note"],
                "treatment": cell("rate_treatment", rate),
                "difference": cell("rate_difference", rate),
                "scale": summary.at["rate_control", "scale"],
                "approximated": bool(diag.get("exposure_approximated")),
                "exposure_reason": diag.get("exposure_reason", ""),
                "draws": diag.get("draws"),
                "chains": diag.get("chains"),
                "min_ess_bulk": _rounded_ess(diag.get("min_ess_bulk")),
                "min_ess_tail": _rounded_ess(diag.get("min_ess_tail")),
                "max_r_hat": fmt_number(diag.get("max_r_hat"), 4),
                "divergences": diag.get("divergences"),
                "prior": diag.get("prior", ""),
            }
        )
    return rows


def published_for(frame: pd.DataFrame | None, outcome: str) -> list[dict[str, Any]]:
    """Published pooled results of one outcome, as published (estimate, interval, trials,
    participants, the words noted), to show beside the analysis."""
    if frame is None:
        return []
    rows = frame[(frame["scope"] == "pooled") & (frame["outcome"] == outcome)]
    return [
        {
            "source": r["source"],
            "statistic": r["statistic"],
            "estimate": fmt_ratio(r["estimate"]),
            "interval": DASH
            if missing(r["lower"]) and missing(r["upper"])
            else fmt_interval(r["lower"], r["upper"]),
            "n_studies": fmt_number(r["n_studies"]),
            "n_participants": fmt_number(r["n_participants"]),
            "status": r["status"],
            "note": "" if missing(r["note"]) else r["note"],
        }
        for r in records(rows)
    ]


def analysis_sections(
    settings: Settings,
    inputs: ReportInputs,
    fits: Fits,
    certainty: pd.DataFrame | None = None,
    copies: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Per analysis (main evidence set): figures, refits, classical, evidence sets, the rate
    model for counts of events, the published results of its outcome and the funnel plot where
    publication bias was assessed; a sensitivity analysis that pools the same trials as its
    primary analysis (``copies``, default :func:`hatmeta.report.sensitivity.unchanged`) gets a
    notice instead."""
    main = settings.evidence.main
    copies = unchanged(settings, fits, main) if copies is None else copies
    effects = None if inputs.published_effects is None else pd.read_csv(inputs.published_effects)
    assessed = set()
    if certainty is not None and "publication_bias_p" in certainty:
        assessed = set(certainty.loc[certainty["publication_bias_p"].notna(), "analysis"])
    sections = []
    for name, analysis in settings.analyses.items():
        prior = analysis.primary_prior
        fit = fits[(main, name, prior)]
        row = fit_row(fit, settings.sparse_data)
        labels = prior_labels(analysis, settings.priors, settings.model.turner_comparison)
        section = {
            "name": name,
            "title": analysis.title,
            "note": analysis.note,
            "prior": prior,
            "prior_label": labels[prior],
            "status": row["status"],
            "same_as": copies.get(name, ""),
            "result": formatted_result(row),
            "trials": records(fit.trials),
            "rates": rate_rows(settings, inputs, name),
            "published_pooled": published_for(effects, analysis.outcome.name),
        }
        if not section["same_as"]:
            classical = pd.read_csv(inputs.classical[(main, name)])
            absolute = not row["no_absolute_measures"]
            section |= {
                "forest": png_data_uri(inputs.forest[name]),
                "funnel": png_data_uri(inputs.funnel[name]) if name in assessed else None,
                "prior_sensitivity": png_data_uri(inputs.prior_sensitivity[name]),
                "loo": loo_rows(fit.loo),
                "classical": classical_rows(classical, absolute),
                "evidence_rows": [
                    {
                        "evidence": e,
                        **formatted_result(fit_row(fits[(e, name, prior)], settings.sparse_data)),
                    }
                    for e in settings.evidence.run
                ],
            }
        sections.append(section)
    return sections


def published_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The published pooled results beside our reproduction, point and interval apart."""
    rows = []
    for r in records(frame):
        rows.append(
            {
                "source": r["source"],
                "outcome": r["outcome"],
                "trials": (r.get("trials") or DASH).replace(";", ", "),
                "trial_set": r["trial_set"],
                "statistic": r["statistic"],
                "published": fmt_ratio(r["published_estimate"]),
                "published_ci": _published_interval(r["published_lower"], r["published_upper"]),
                "published_n": f"{fmt_number(r['published_n_studies'])} / "
                f"{fmt_number(r['published_n_participants'])}",
                "analysis": r.get("analysis") or DASH,
                "ours": fmt_ratio(r.get("dl_rr")),
                "ours_ci": DASH
                if missing(r.get("dl_rr_lower"))
                else fmt_interval(r.get("dl_rr_lower"), r.get("dl_rr_upper")),
                "point": r["point"],
                "interval": r["interval"],
                "missing": r.get("missing") or "",
                "note": "" if missing(r.get("note")) else str(r.get("note") or ""),
            }
        )
    return rows


def _published_interval(lower, upper) -> str:
    """A published interval; a limit that was not read says so."""
    if missing(lower) and missing(upper):
        return DASH
    if missing(lower) or missing(upper):
        bounds = ["not read" if missing(v) else fmt_ratio(v) for v in (lower, upper)]
        return f"{bounds[0]} to {bounds[1]}"
    return fmt_interval(lower, upper)


def _rounded_ess(value) -> str:
    return DASH if value is None else fmt_number(round(value))


def diagnostics_rows(settings: Settings, fits: Fits) -> list[dict[str, Any]]:
    """One row per fit with its status and worst diagnostics."""
    rows = []
    for evidence in settings.evidence.run:
        for name, analysis in settings.analyses.items():
            for prior in settings.priors:
                diag = fits[(evidence, name, prior)].diagnostics
                rows.append(
                    {
                        "evidence": evidence,
                        "analysis": name,
                        "prior": prior,
                        "primary": prior == analysis.primary_prior,
                        "status": diag.get("status", "unknown"),
                        "r_hat": fmt_number(diag.get("max_r_hat"), 4),
                        "ess_bulk": _rounded_ess(diag.get("min_ess_bulk")),
                        "ess_tail": _rounded_ess(diag.get("min_ess_tail")),
                        "divergences": fmt_number(diag.get("divergences")),
                        "failures": "; ".join(diag.get("failures", [])),
                        "note": diag.get("note", ""),
                    }
                )
    return rows


def rank_plots(settings: Settings, inputs: ReportInputs, fits: Fits) -> list[dict[str, Any]]:
    """Rank plots of d and tau for the primary-prior fit of each analysis (main evidence)."""
    main = settings.evidence.main
    return [
        {
            "analysis": name,
            "prior": analysis.primary_prior,
            "uri": None
            if fits[(main, name, analysis.primary_prior)].status in ("no data", "not modelled")
            else png_data_uri(inputs.rank[name]),
        }
        for name, analysis in settings.analyses.items()
    ]


AUDIT_COLUMNS = [
    "line",
    "trial",
    "arm",
    "outcome",
    "measure",
    "timepoint",
    "events",
    "total",
    "percent_reported",
    "status",
    "source",
    "location",
    "citation",
    "derivation",
    "used_in",
]


def audit_rows(path) -> list[dict[str, Any]]:
    """The extraction audit's rows, as the report's provenance table shows them."""
    frame = pd.read_csv(path, keep_default_na=False)
    return frame[[c for c in AUDIT_COLUMNS if c in frame.columns]].to_dict("records")


def audit_bibliography(path) -> list[dict[str, str]]:
    """Each source the audit cites, once, with its citation (the audit cites by key)."""
    frame = pd.read_csv(path, keep_default_na=False)
    if not {"source", "citation"} <= set(frame.columns):
        return []
    cited = frame[frame["source"] != ""].drop_duplicates("source")
    return [{"key": r.source, "citation": r.citation} for r in cited.itertuples(index=False)]
