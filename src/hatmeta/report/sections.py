"""The report's sections as display-ready rows, from fit files and tables already read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

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
from hatmeta.report.results import FitTables, fit_row

if TYPE_CHECKING:
    from hatmeta.config import Settings
    from hatmeta.report.results import ReportInputs

Fits = Mapping[tuple[str, str, str], FitTables]


def formatted_result(row: Mapping[str, Any]) -> dict[str, str]:
    """Display strings of the headline numbers of a fit row."""
    if row["status"] == "no data":
        return {"status": "no data", "n_trials": "0", "n_participants": "0"}
    return {
        "status": row["status"],
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


def classical_rows(frame: pd.DataFrame) -> dict[str, Any]:
    """The pooled and heterogeneity rows of a classical table, formatted."""
    if frame.empty:
        return {"pooled": [], "heterogeneity": None}
    pooled = [
        {
            "method": r["method"],
            "measure": r["measure"],
            "estimate": fmt_ratio(r["estimate"]),
            "interval": fmt_interval(r["lower"], r["upper"]) if not missing(r["lower"]) else DASH,
            "n_trials": fmt_number(r["n_trials"]),
        }
        for r in records(frame[frame["section"] == "pooled"])
    ]
    het = frame[frame["section"] == "heterogeneity"]
    heterogeneity = None
    if not het.empty:
        h = het.iloc[0]
        heterogeneity = {
            "Q": fmt_number(h["Q"]),
            "df": fmt_number(h["df"]),
            "p_Q": fmt_number(h["p_Q"], 2),
            "I2": fmt_prob(h["I2"]),
            "tau2": fmt_number(h["tau2"]),
        }
    return {"pooled": pooled, "heterogeneity": heterogeneity}


def loo_rows(loo: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in records(loo):
        if "OR_median" not in r:
            continue
        rows.append(
            {
                "left_out": r["left_out"],
                "n_included": fmt_number(r.get("n_included")),
                "or": fmt_ratio(r["OR_median"]),
                "interval": fmt_interval(r["OR_lower"], r["OR_upper"]),
                "tau": fmt_number(r.get("tau_median"), 2),
                "p": fmt_prob(r.get("P(OR>1)")),
                "failures": r.get("failures") or "",
            }
        )
    return rows


def analysis_sections(settings: Settings, inputs: ReportInputs, fits: Fits) -> list[dict[str, Any]]:
    """Per analysis (main evidence set): figures, leave-one-out, classical, evidence sets."""
    main = settings.evidence.main
    sections = []
    for name, analysis in settings.analyses.items():
        prior = analysis.primary_prior
        fit = fits[(main, name, prior)]
        labels = prior_labels(analysis, settings.priors, settings.model.turner_comparison)
        sections.append(
            {
                "name": name,
                "title": analysis.title,
                "note": analysis.note,
                "prior": prior,
                "prior_label": labels[prior],
                "status": fit.status,
                "forest": png_data_uri(inputs.forest[name]),
                "prior_sensitivity": png_data_uri(inputs.prior_sensitivity[name]),
                "loo": loo_rows(fit.loo),
                "classical": classical_rows(pd.read_csv(inputs.classical[(main, name)])),
                "evidence_rows": [
                    {"evidence": e, **formatted_result(fit_row(fits[(e, name, prior)]))}
                    for e in settings.evidence.run
                ],
                "trials": records(fit.trials),
            }
        )
    return sections


def published_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The published pooled results beside our reproduction, formatted."""
    rows = []
    for r in records(frame):
        rows.append(
            {
                "source": r["source"],
                "outcome": r["outcome"],
                "statistic": r["statistic"],
                "published": fmt_ratio(r["published_estimate"]),
                "published_ci": fmt_interval(r["published_lower"], r["published_upper"])
                if not missing(r["published_lower"])
                else DASH,
                "published_n": f"{fmt_number(r['published_n_studies'])} / "
                f"{fmt_number(r['published_n_participants'])}",
                "analysis": r.get("analysis") or DASH,
                "ours": fmt_ratio(r.get("dl_rr")),
                "ours_ci": fmt_interval(r.get("dl_rr_lower"), r.get("dl_rr_upper"))
                if not missing(r.get("dl_rr_lower"))
                else DASH,
                "ours_n": f"{fmt_number(r.get('n_trials'))} / "
                f"{fmt_number(r.get('n_participants'))}",
                "explanation": r["explanation"],
            }
        )
    return rows


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
            if fits[(main, name, analysis.primary_prior)].status == "no data"
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
