"""The self-contained HTML report: gather result tables, build a context, render a template.

Three pure steps, each testable on its own:

1. readers (:func:`read_fit_files`, :func:`summary_of_findings`, ...) turn files under
   ``results/`` into small tables;
2. :func:`build_context` assembles everything the template shows into one dictionary (every
   number in it comes from a file under ``results/`` or from the config);
3. :func:`render` fills ``templates/report.html.j2`` with Jinja2.

The template lives inside the package (``hatmeta/templates/``) rather than under ``workflow/``
so that :func:`render` works wherever the package is imported (tests, notebooks) and ships
with the wheel; the report rule lists it as an input so that editing it re-runs the report.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import importlib.metadata
import io
import json
import math
import platform
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
import yaml

from hatmeta.config import primary_prior
from hatmeta.io import fit_dir

TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "report.html.j2"
SOFTWARE = ("snakemake", "pymc", "arviz", "nutpie", "numpy", "pandas", "statsmodels")
SENSITIVITY_FILES = {
    "scenarios": "sensitivity/scenarios.csv",
    "tipping_points": "sensitivity/tipping/tipping_points.csv",
    "tipping_sentence": "sensitivity/tipping/tipping_sentence.txt",
}
SENSITIVITY_FIGURES = "figures/sensitivity"
DASH = "\u2013"  # shown for a missing number

# Readable headers of the sensitivity tables (unknown columns are shown under their own name).
SCENARIO_HEADERS = {
    "scenario": "Scenario",
    "heroin_scenario": "Heroin arm held at",
    "imor_heroin": "IMOR heroin",
    "imor_methadone": "IMOR methadone",
    "missing_share_heroin": "missing share heroin",
    "missing_share_methadone": "missing share methadone",
    "anchor_reading": "anchor reading",
    "responders_heroin": "responders heroin",
    "responders_methadone": "responders methadone",
    "riott_or_median": "RIOTT OR",
    "riott_or_lower": "lower",
    "riott_or_upper": "upper",
    "riott_p_or_above_1": "P(RIOTT OR>1)",
    "pooled_or_median": "pooled OR",
    "pooled_or_lower": "lower",
    "pooled_or_upper": "upper",
    "pooled_p_benefit": "pooled P(benefit)",
    "pareto_khat": "Pareto k",
    "importance_ess": "IS ESS",
    "reliable": "reliable",
    "imor_riott_ci_includes_1": "IMOR at which RIOTT's CrI includes 1",
    "imor_pooled_loses_benefit": "IMOR at which the pooled result loses P(benefit)",
    "unreliable_cells": "unreliable cells",
}


# --------------------------------------------------------------------------------------------
# Number formatting: one place, so the tables and the text agree
# --------------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_ratio(value: Any) -> str:
    """A ratio with two decimals below 10 and three significant figures above ('-' if absent)."""
    if _missing(value):
        return DASH
    value = float(value)
    if not math.isfinite(value):
        return "∞" if value > 0 else DASH
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value < 0.01:
        return f"{value:.3f}"
    return f"{value:.2f}"


def fmt_interval(lower: Any, upper: Any, fmt=fmt_ratio) -> str:
    return f"{fmt(lower)} to {fmt(upper)}"


def fmt_prob(value: Any) -> str:
    """A probability as a percentage; extreme values as '>99%' / '<1%'."""
    if _missing(value):
        return DASH
    pct = 100 * float(value)
    if pct > 99.5 and pct < 100:
        return ">99%"
    if 0 < pct < 0.5:
        return "<1%"
    return f"{pct:.0f}%"


def fmt_rd(value: Any) -> str:
    """A risk difference in percentage points, signed."""
    if _missing(value):
        return DASH
    return f"{100 * float(value):+.1f}"


def fmt_number(value: Any, digits: int = 3) -> str:
    if isinstance(value, str):
        return value
    if _missing(value):
        return DASH
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def read_fit_files(results: str | Path, evidence: str, analysis: str, prior: str) -> dict:
    """Summary (indexed by quantity), trials, leave-one-out and diagnostics of one fit.

    ``summary`` is ``None`` when the fit had no data (its summary.csv has a single status row).
    """
    directory = fit_dir(Path(results) / "fits", evidence, analysis, prior)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} not found: run `snakemake --cores 4` first")
    summary = pd.read_csv(directory / "summary.csv")
    trials = pd.read_csv(directory / "trials.csv")
    loo_path = directory / "loo.csv"
    loo = pd.read_csv(loo_path) if loo_path.exists() else pd.DataFrame()
    diagnostics = json.loads((directory / "diagnostics.json").read_text())
    has_data = "median" in summary.columns and not summary.empty
    return {
        "summary": summary.set_index("quantity") if has_data else None,
        "trials": trials,
        "loo": loo,
        "diagnostics": diagnostics,
        "directory": directory,
    }


def _value(summary: pd.DataFrame | None, quantity: str, column: str = "median") -> float:
    if summary is None or quantity not in summary.index:
        return float("nan")
    return float(summary.at[quantity, column])


def fit_row(fit: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers of one fit, as floats (NaN when absent)."""
    summary, trials = fit["summary"], fit["trials"]
    row: dict[str, Any] = {
        "status": fit["diagnostics"].get("status", "unknown"),
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
    row["p_control"] = _value(summary, "p_control")
    row["p_treatment"] = _value(summary, "p_treatment")
    return row


def summary_analyses(config: Mapping[str, Any]) -> list[str]:
    """The analyses of the summary of findings: the first analysis listed for each outcome.

    The config lists each outcome's main analysis first (e.g. ``retention`` before
    ``retention_all``); the others are variants shown in their own sections.
    """
    seen, chosen = set(), []
    for name, spec in config["analyses"].items():
        if spec["outcome"] not in seen:
            seen.add(spec["outcome"])
            chosen.append(name)
    return chosen


def summary_of_findings(
    config: Mapping[str, Any], results: str | Path, analyses: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per analysis x evidence set under the analysis's primary prior."""
    rows = []
    for analysis in analyses or summary_analyses(config):
        spec = config["analyses"][analysis]
        outcome = config["outcomes"][spec["outcome"]]
        prior = primary_prior(config, analysis)
        for evidence in config["evidence"]["run"]:
            fit = read_fit_files(results, evidence, analysis, prior)
            rows.append(
                {
                    "analysis": analysis,
                    "title": spec["title"],
                    "event": outcome["event"],
                    "higher_is_better": bool(outcome["higher_is_better"]),
                    "evidence": evidence,
                    "prior": prior,
                    **fit_row(fit),
                }
            )
    return pd.DataFrame(rows)


def read_csv_if(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.exists() else None


# --------------------------------------------------------------------------------------------
# Plain language
# --------------------------------------------------------------------------------------------


def _certainty(p: float) -> str:
    if p >= 0.975:
        return "very likely"
    if p >= 0.9:
        return "likely"
    if p >= 0.7:
        return "possibly"
    if p > 0.3:
        return "uncertain whether"
    return "unlikely"


def plain_language(sof: pd.DataFrame, evidence: str, treatment: str, control: str) -> list[str]:
    """One sentence per analysis of the summary of findings, numbers from ``sof``."""
    sentences = []
    for row in sof[sof["evidence"] == evidence].itertuples(index=False):
        if row.status == "no data" or _missing(row.or_median):
            sentences.append(
                f"{row.title}: no trial reported counts of {row.event} for both arms in this "
                "evidence set, so there is no pooled estimate."
            )
            continue
        rd_points = 100 * row.rd_median
        if abs(rd_points) < 0.5:
            change = "about as many people per 100 had"
        else:
            direction = "more" if rd_points >= 0 else "fewer"
            change = f"about {abs(rd_points):.0f} {direction} people per 100 had"
        certainty = _certainty(row.p_benefit)
        benefit = "better" if row.higher_is_better else "safer"
        if certainty.startswith("uncertain"):
            verdict = f"it is uncertain whether {treatment} is {benefit} than {control}"
        elif certainty == "unlikely":
            verdict = f"{treatment} is unlikely to be {benefit} than {control}"
        else:
            verdict = f"{treatment} is {certainty} {benefit} than {control}"
        sentences.append(
            f"{row.title} ({row.n_trials} trial{'s' if row.n_trials != 1 else ''}, "
            f"{row.n_participants} participants): with {treatment}, {change} the outcome "
            f"'{row.event}' than with {control} (risk difference "
            f"{fmt_rd(row.rd_median)} percentage points, 95% CrI "
            f"{fmt_rd(row.rd_lower)} to {fmt_rd(row.rd_upper)}; odds ratio "
            f"{fmt_ratio(row.or_median)}, {fmt_interval(row.or_lower, row.or_upper)}). "
            f"The probability that {treatment} is {benefit} is {fmt_prob(row.p_benefit)}: "
            f"{verdict}."
        )
    return sentences


# --------------------------------------------------------------------------------------------
# Methods, generated from the config
# --------------------------------------------------------------------------------------------


def docstring_blocks(text: str) -> list[dict[str, str]]:
    """Split a numpydoc-style docstring into headings, paragraphs and literal blocks."""
    blocks: list[dict[str, str]] = []
    lines = (text or "").strip("\n").splitlines()
    paragraph: list[str] = []
    literal: list[str] = []
    in_literal = False

    def flush():
        nonlocal paragraph
        if paragraph:
            body = " ".join(line.strip() for line in paragraph)
            blocks.append({"kind": "p", "text": body[:-1] if body.endswith("::") else body})
            paragraph = []

    i = 0
    while i < len(lines):
        line = lines[i]
        if in_literal:
            if line.strip() and not line.startswith(" "):
                blocks.append({"kind": "pre", "text": "\n".join(literal).strip("\n")})
                literal, in_literal = [], False
                continue
            literal.append(line[4:] if line.startswith("    ") else line)
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", nxt.strip()):
            flush()
            blocks.append({"kind": "h", "text": line.strip()})
            i += 2
            continue
        if not line.strip():
            flush()
        else:
            if re.match(r"\s*\d+\.\s", line):
                flush()  # a numbered item starts its own paragraph
            paragraph.append(line)
            if line.rstrip().endswith("::"):
                flush()
                in_literal = True
        i += 1
    if in_literal and literal:
        blocks.append({"kind": "pre", "text": "\n".join(literal).strip("\n")})
    flush()
    # Inline literals: ``x`` -> x (the template escapes text; code styling is not needed).
    for block in blocks:
        if block["kind"] != "pre":
            block["text"] = re.sub(r"``(.+?)``", r"\1", block["text"])
            block["text"] = re.sub(r":\w+:`(.+?)`", r"\1", block["text"])
            block["text"] = re.sub(r"\*(\S.*?)\*", r"\1", block["text"])
            item = re.match(r"(\d+)\.\s+(.*)", block["text"])
            if block["kind"] == "p" and item:
                block.update(kind="li", number=item.group(1), text=item.group(2))
    return blocks


def prior_table(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every heterogeneity prior as resolved for every analysis, primary marked."""
    from hatmeta.figures import prior_labels  # imports matplotlib; only needed here

    rows = []
    for analysis in config["analyses"]:
        labels = prior_labels(config, analysis)
        primary = primary_prior(config, analysis)
        rows.append(
            {
                "analysis": analysis,
                "priors": [
                    {"name": name, "label": label, "primary": name == primary}
                    for name, label in labels.items()
                ],
            }
        )
    return rows


def methods(config: Mapping[str, Any], riott_doc: str | None = None) -> dict[str, Any]:
    """Everything the methods section states, taken from the config (and the RIOTT module)."""
    evidence = config["evidence"]
    comparison = config["comparison"]
    riott = config.get("riott")
    return {
        "evidence_sets": [
            {
                "name": name,
                "statuses": ", ".join(statuses),
                "run": name in evidence["run"],
                "main": name == evidence["run"][0],
            }
            for name, statuses in evidence["sets"].items()
        ],
        "analyses": [
            {
                "name": name,
                "title": spec["title"],
                "outcome": spec["outcome"],
                "event": config["outcomes"][spec["outcome"]]["event"],
                "higher_is_better": config["outcomes"][spec["outcome"]]["higher_is_better"],
                "measures": ", ".join(spec["measures"]),
                "trials": ", ".join(spec["trials"]),
                "note": spec.get("note", ""),
            }
            for name, spec in config["analyses"].items()
        ],
        "treatment_arm": comparison["treatment_arm"],
        "control_arms": ", ".join(comparison["control_arms"]),
        "effect_sd": config["priors"].get("effect_sd"),
        "baseline_sd": config["priors"].get("baseline_sd"),
        "priors": prior_table(config),
        "relevant_or": config.get("clinically_relevant_odds_ratio"),
        "sampler": dict(config["sampler"]),
        "diagnostics": dict(config["diagnostics"]),
        "riott": riott,
        "riott_scenarios": [
            {"name": name, **{k: fmt_number(v) for k, v in spec.items() if k != "name"}}
            for name, spec in (riott or {}).get("scenarios", {}).items()
        ],
        "riott_settings": {
            k: v for k, v in (riott or {}).items() if not isinstance(v, dict | list)
        },
        "riott_doc": docstring_blocks(riott_doc) if riott_doc else [],
    }


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def png_data_uri(path: str | Path) -> str | None:
    """A PNG as a ``data:`` URI (``None`` when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure_data_uri(fig) -> str:
    """A matplotlib figure as a ``data:`` URI (closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def rank_plot(posterior_path: str | Path, var_names: Sequence[str] = ("d", "tau")) -> str | None:
    """Rank (fractional-rank delta-ECDF) plots of ``var_names`` as a data URI, or None.

    ``None`` when the fit had no data (an empty posterior).
    """
    import matplotlib

    matplotlib.use("Agg")
    import arviz_plots as azp
    import matplotlib.pyplot as plt
    import xarray as xr

    tree = xr.open_datatree(posterior_path, engine="h5netcdf")
    try:
        if "posterior" not in tree.children:
            return None
        variables = [v for v in var_names if v in tree["posterior"].data_vars]
        pc = azp.plot_rank(
            tree, var_names=variables, backend="matplotlib", figure_kwargs={"figsize": (7.5, 2.2)}
        )
        fig = pc.viz["figure"].item() if "figure" in pc.viz else plt.gcf()
        fig.suptitle(f"{tree.attrs.get('analysis', '')}: rank plots", x=0.01, ha="left", fontsize=9)
        return figure_data_uri(fig)
    finally:
        tree.close()


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def classical_rows(frame: pd.DataFrame | None) -> dict[str, Any]:
    """The pooled and heterogeneity rows of a classical table, formatted."""
    if frame is None or frame.empty:
        return {"pooled": [], "heterogeneity": None}
    pooled = [
        {
            "method": r["method"],
            "measure": r["measure"],
            "estimate": fmt_ratio(r["estimate"]),
            "interval": fmt_interval(r["lower"], r["upper"]) if not _missing(r["lower"]) else DASH,
            "n_trials": fmt_number(r["n_trials"]),
        }
        for r in _records(frame[frame["section"] == "pooled"])
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
    for r in _records(loo):
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


def evidence_rows(config: Mapping[str, Any], results: Path, analysis: str) -> list[dict[str, Any]]:
    """The analysis's headline result under every evidence set (primary prior)."""
    prior = primary_prior(config, analysis)
    rows = []
    for evidence in config["evidence"]["run"]:
        row = fit_row(read_fit_files(results, evidence, analysis, prior))
        rows.append({"evidence": evidence, **formatted_result(row)})
    return rows


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


def analysis_sections(
    config: Mapping[str, Any], results: Path, evidence: str
) -> list[dict[str, Any]]:
    """Per analysis: figures, leave-one-out, classical reproduction, evidence sets."""
    from hatmeta.figures import prior_labels

    sections = []
    for analysis, spec in config["analyses"].items():
        prior = primary_prior(config, analysis)
        fit = read_fit_files(results, evidence, analysis, prior)
        figures = Path(results) / "figures" / evidence
        sections.append(
            {
                "name": analysis,
                "title": spec["title"],
                "note": spec.get("note", ""),
                "prior": prior,
                "prior_label": prior_labels(config, analysis)[prior],
                "status": fit["diagnostics"].get("status", "unknown"),
                "forest": png_data_uri(figures / f"forest_{analysis}.png"),
                "prior_sensitivity": png_data_uri(figures / f"prior_sensitivity_{analysis}.png"),
                "loo": loo_rows(fit["loo"]),
                "classical": classical_rows(
                    read_csv_if(Path(results) / "classical" / evidence / f"{analysis}.csv")
                ),
                "evidence_rows": evidence_rows(config, Path(results), analysis),
                "trials": _records(fit["trials"]),
            }
        )
    return sections


def published_rows(results: Path) -> list[dict[str, Any]]:
    frame = read_csv_if(Path(results) / "classical" / "published_comparison.csv")
    rows = []
    for r in _records(frame):
        rows.append(
            {
                "source": r["source"],
                "outcome": r["outcome"],
                "statistic": r["statistic"],
                "published": fmt_ratio(r["published_estimate"]),
                "published_ci": fmt_interval(r["published_lower"], r["published_upper"])
                if not _missing(r["published_lower"])
                else DASH,
                "published_n": f"{fmt_number(r['published_n_studies'])} / "
                f"{fmt_number(r['published_n_participants'])}",
                "analysis": r.get("analysis") or DASH,
                "ours": fmt_ratio(r.get("dl_rr")),
                "ours_ci": fmt_interval(r.get("dl_rr_lower"), r.get("dl_rr_upper"))
                if not _missing(r.get("dl_rr_lower"))
                else DASH,
                "ours_n": f"{fmt_number(r.get('n_trials'))} / "
                f"{fmt_number(r.get('n_participants'))}",
                "explanation": r["explanation"],
            }
        )
    return rows


def sensitivity_section(results: Path) -> dict[str, Any]:
    """The RIOTT sensitivity results, or ``{"run": False}`` when they are not there."""
    results = Path(results)
    paths = {key: results / rel for key, rel in SENSITIVITY_FILES.items()}
    if not paths["scenarios"].exists():
        return {"run": False, "missing": [str(p) for p in paths.values() if not p.exists()]}
    scenarios = pd.read_csv(paths["scenarios"])
    tipping = read_csv_if(paths["tipping_points"])
    sentence = (
        paths["tipping_sentence"].read_text().strip() if paths["tipping_sentence"].exists() else ""
    )
    figures = sorted((results / SENSITIVITY_FIGURES).glob("*.png"))
    return {
        "run": True,
        "scenarios": table(scenarios, SCENARIO_HEADERS),
        "tipping_points": table(tipping, SCENARIO_HEADERS) if tipping is not None else None,
        "sentence": sentence,
        "figures": [
            {"name": figure_caption(p.stem), "uri": png_data_uri(p), "wide": "curve" in p.stem}
            for p in figures
        ],
    }


def figure_caption(stem: str) -> str:
    """A caption for a sensitivity figure from its file name (tipping_{result}_{scenario})."""
    if stem == "tipping_curve":
        return "RIOTT's odds ratio (median and 95% CrI) along the oral-methadone IMOR."
    match = re.fullmatch(r"tipping_(riott|pooled)_(.+)", stem)
    if match:
        what = {
            "riott": "RIOTT's P(OR > 1)",
            "pooled": "The pooled illicit-heroin P(benefit)",
        }[match.group(1)]
        return (
            f"{what} over the oral-methadone missing share and IMOR, heroin arm held at "
            f"scenario '{match.group(2)}'."
        )
    return stem.replace("_", " ")


def table(frame: pd.DataFrame, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A frame as header + formatted cells (probabilities as %, other numbers 3 s.f.)."""
    headers = headers or {}
    columns = list(frame.columns)
    rows = []
    for record in _records(frame):
        cells = []
        for column in columns:
            value = record[column]
            if isinstance(value, str) or value is None:
                cells.append(value if value is not None else DASH)
            elif re.search(r"(^|_)p_|^P\(", column):
                cells.append(fmt_prob(value))
            else:
                cells.append(fmt_number(value))
        rows.append(cells)
    return {"header": [headers.get(c, c) for c in columns], "rows": rows}


def diagnostics_rows(config: Mapping[str, Any], results: Path) -> list[dict[str, Any]]:
    """One row per fit with its status and worst diagnostics."""
    rows = []
    for evidence in config["evidence"]["run"]:
        for analysis in config["analyses"]:
            primary = primary_prior(config, analysis)
            for prior in config["priors"]["heterogeneity"]:
                path = fit_dir(Path(results) / "fits", evidence, analysis, prior)
                diag = json.loads((path / "diagnostics.json").read_text())
                rows.append(
                    {
                        "evidence": evidence,
                        "analysis": analysis,
                        "prior": prior,
                        "primary": prior == primary,
                        "status": diag.get("status", "unknown"),
                        "r_hat": fmt_number(diag.get("max_r_hat"), 4),
                        "ess_bulk": fmt_number(round(diag["min_ess_bulk"]))
                        if diag.get("min_ess_bulk") is not None
                        else DASH,
                        "ess_tail": fmt_number(round(diag["min_ess_tail"]))
                        if diag.get("min_ess_tail") is not None
                        else DASH,
                        "divergences": fmt_number(diag.get("divergences")),
                        "failures": "; ".join(diag.get("failures", [])),
                        "note": diag.get("note", ""),
                    }
                )
    return rows


def rank_plots(config: Mapping[str, Any], results: Path, evidence: str) -> list[dict[str, Any]]:
    """Rank plots of d and tau for the primary-prior fit of each analysis (one evidence set)."""
    plots = []
    for analysis in config["analyses"]:
        prior = primary_prior(config, analysis)
        path = fit_dir(Path(results) / "fits", evidence, analysis, prior) / "posterior.nc"
        plots.append(
            {
                "analysis": analysis,
                "prior": prior,
                "uri": rank_plot(path) if path.exists() else None,
            }
        )
    return plots


# --------------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------------


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_describe(cwd: str | Path = ".") -> str:
    """``git describe --always --dirty``, or "unknown" outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(
    config: Mapping[str, Any], repo: str | Path = ".", date: str | None = None
) -> dict[str, Any]:
    """Date, software versions and data version (checksums of the hand-entered inputs)."""
    data = config["data"]
    files = {
        key: {"path": str(data[key]), "sha256": sha256(Path(repo) / data[key])}
        for key in ("extraction", "bibliography")
        if key in data
    }
    return {
        "date": date or _dt.date.today().isoformat(),
        "software": software_versions(),
        "data_files": files,
        "git": git_describe(repo),
    }


def audit_rows(results: Path) -> list[dict[str, Any]]:
    frame = pd.read_csv(Path(results) / "data" / "audit.csv", keep_default_na=False)
    columns = [
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
    return frame[[c for c in columns if c in frame.columns]].to_dict("records")


# --------------------------------------------------------------------------------------------
# Context and rendering
# --------------------------------------------------------------------------------------------


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


def build_context(
    config: Mapping[str, Any],
    results: str | Path = "results",
    *,
    provenance_info: Mapping[str, Any] | None = None,
    with_rank_plots: bool = True,
    riott_doc: str | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as one dictionary (see the template for its use).

    Parameters
    ----------
    config
        The validated workflow config.
    results
        The results directory (its layout as written by the workflow).
    provenance_info
        From :func:`provenance` (read back from ``results/report/provenance.json`` by the rule).
    with_rank_plots
        Draw rank plots from the posteriors (tests turn this off: no posterior files needed).
    riott_doc
        Text of the RIOTT model (defaults to the docstring of :mod:`hatmeta.missing`).
    """
    results = Path(results)
    evidence_sets = list(config["evidence"]["run"])
    main = evidence_sets[0]
    if riott_doc is None and config.get("riott"):
        from hatmeta import missing

        riott_doc = missing.__doc__
    sof = summary_of_findings(config, results)
    treatment = config["comparison"]["treatment_arm"]
    control = "oral methadone"
    diagnostics = diagnostics_rows(config, results)
    return {
        "title": "Supervised injectable heroin versus oral methadone: Bayesian meta-analysis",
        "evidence_sets": evidence_sets,
        "main_evidence": main,
        "treatment": treatment,
        "control": control,
        "sof": sof_rows(sof, evidence_sets),
        "sof_frame": sof,
        "plain_language": plain_language(sof, main, treatment, control),
        "methods": methods(config, riott_doc),
        "analyses": analysis_sections(config, results, main),
        "published": published_rows(results),
        "sensitivity": sensitivity_section(results),
        "diagnostics": diagnostics,
        "n_flagged": sum(r["status"] == "flagged" for r in diagnostics),
        "rank_plots": rank_plots(config, results, main) if with_rank_plots else [],
        "audit": audit_rows(results),
        "provenance": dict(provenance_info or {}),
        "config_yaml": yaml.safe_dump(dict(config), sort_keys=False, allow_unicode=True),
    }


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ratio"] = fmt_ratio
    env.filters["prob"] = fmt_prob
    env.filters["num"] = fmt_number
    return env


def render(context: Mapping[str, Any], template: str = TEMPLATE_NAME) -> str:
    """The report's HTML."""
    return environment().get_template(template).render(**context)


def write_report(context: Mapping[str, Any], path: str | Path) -> None:
    """Render and write atomically."""
    from hatmeta.io import write_with

    text = render(context)
    write_with(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Reviewing notebooks: find the results, execute jupytext sources
# --------------------------------------------------------------------------------------------


class ResultsMissing(FileNotFoundError):
    """A notebook or report input is not there yet; the message says how to make it."""


def project_root(start: str | Path | None = None) -> Path:
    """The project root: the first directory at or above ``start`` with a ``Snakefile`` or a
    ``results`` directory (a workflow run in another working directory has only the latter)."""
    here = Path(start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Snakefile").exists() or (directory / "results").is_dir():
            return directory
    raise ResultsMissing(f"no Snakefile at or above {here}: open the notebook inside the repo")


def require(root: str | Path, *paths: str | Path) -> list[Path]:
    """Absolute paths of results a notebook needs; a clear error naming the first missing one."""
    out = []
    for rel in paths:
        path = Path(root) / rel
        if not path.exists():
            raise ResultsMissing(f"{rel} not found: run `snakemake --cores 4` first")
        out.append(path)
    return out


def inject_parameters(notebook, parameters: Mapping[str, Any]) -> None:
    """Add a cell assigning ``parameters`` after the cell tagged ``parameters``."""
    import nbformat

    if not parameters:
        return
    lines = [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = nbformat.v4.new_code_cell(
        "# Parameters injected by the workflow\n" + "\n".join(lines),
        metadata={"tags": ["injected-parameters"]},
    )
    tagged = [
        i
        for i, c in enumerate(notebook.cells)
        if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    notebook.cells.insert(tagged[0] + 1 if tagged else 0, cell)


def execute_notebook(
    source: str | Path,
    ipynb: str | Path,
    html_path: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    cwd: str | Path | None = None,
    kernel: str = "python3",
    timeout: int = 1800,
) -> float:
    """Convert a py:percent notebook with jupytext, execute it with nbclient, write .ipynb + HTML.

    The kernel is the ``python3`` kernel spec of the running environment (the project's venv);
    nothing is registered globally. Returns the execution wall time in seconds.
    """
    import time

    import jupytext
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    from hatmeta.io import write_with

    notebook = jupytext.read(source)
    inject_parameters(notebook, parameters or {})
    notebook.metadata["kernelspec"] = {
        "name": kernel,
        "display_name": "Python 3",
        "language": "python",
    }
    start = time.perf_counter()
    client = nbclient.NotebookClient(
        notebook,
        kernel_name=kernel,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd or Path.cwd())}},
    )
    client.execute()
    seconds = time.perf_counter() - start
    write_with(ipynb, lambda tmp: nbformat.write(notebook, str(tmp)))
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(notebook)
    write_with(html_path, lambda tmp: Path(tmp).write_text(body, encoding="utf-8"))
    return seconds


__all__ = [
    "build_context",
    "provenance",
    "render",
    "summary_of_findings",
    "write_report",
]
