"""The GRADE summary of findings: display rows, numbered footnotes and its CSV, from the
certainty table (``results/certainty/{evidence}/certainty.csv``) of the main evidence set, and
the certainty rules for the methods, from the config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.certainty import (
    imprecision,
    inconsistency,
    indirectness,
    publication_bias,
    risk_of_bias,
)
from hatmeta.certainty.domains import DOMAIN_NAMES, DOMAINS
from hatmeta.certainty.rows import SEPARATOR
from hatmeta.report.format import DASH, fmt_interval, fmt_ratio, missing
from hatmeta.report.results import relative_effect

if TYPE_CHECKING:
    from hatmeta.config import CertaintySettings

#: The columns of ``summary_of_findings.csv``, in GRADEpro's order.
SOF_COLUMNS = [
    "analysis",
    "outcome",
    "follow_up",
    "participants",
    "trials",
    "certainty",
    "relative_effect",
    "risk_with_control",
    "risk_difference",
    "comments",
    "footnotes",
]


def _text(value: Any) -> str:
    return "" if missing(value) else str(value)


def _relative(row: Mapping[str, Any]) -> str:
    name, median, lower, upper = relative_effect(row)
    if missing(median):
        return f"not estimated ({row.get('status', '')}; see comments)"
    return f"{name} {fmt_ratio(median)} ({fmt_interval(lower, upper)})"


def agreeing(row: Mapping[str, Any], result: Mapping[str, Any]) -> Mapping[str, Any]:
    """The report's result of an analysis (:func:`hatmeta.report.results.result_row`), after
    checking that its certainty row rated that result: the same status and effect measure
    (a certainty table from other fits, e.g. a stale one, is an error, not a silent mismatch)."""
    rated = (row.get("status"), _text(row.get("effect_measure")) or "OR")
    shown = (result.get("status"), result.get("effect_measure"))
    if rated != shown:
        raise ValueError(
            f"{row['analysis']}: the certainty table rated a result with status and measure "
            f"{rated}, but the fits give {shown}; re-run the certainty stage"
        )
    return result


def _control(row: dict[str, Any]) -> tuple[str, str]:
    """The risk (or, for counts of events, the rate) without the intervention, with its
    unit, and its source."""
    per_1000 = row.get("control_per_1000")
    if not missing(per_1000):
        return f"{float(per_1000):.0f} per 1000", _text(row.get("baseline_source"))
    return _text(row.get("control_rate_text")), _text(row.get("control_rate_basis"))


def _short(reason: str) -> str:
    """A reason without its bracketed detail (the detail is in the footnotes)."""
    return reason.split(" (", 1)[0]


def _certainty(row: dict[str, Any]) -> str:
    if missing(row.get("rating")):
        return "not rated"
    return f"{row['symbols']} {row['certainty']}"


def grade_rows(
    frame: pd.DataFrame,
    column: str = "notes",
    results: Mapping[str, Mapping[str, Any]] | None = None,
    unchanged: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Display rows of the summary of findings, and its footnotes numbered in table order
    (each row carries the numbers of its own; a footnote two rows share is written once).
    ``column``: ``notes`` (the numbers only, the rules listed once beside the table) or
    ``footnotes`` (each with its rule). ``results``: the report's result of each analysis
    (main evidence set), whose relative effect the row states (:func:`agreeing`); without
    them, the certainty row's own. ``unchanged``: by primary analysis, its sensitivity
    analyses that change nothing with their notes (:func:`hatmeta.report.sensitivity.notes`):
    they get no row of their own, their primary's row carries the notes."""
    unchanged = unchanged or {}
    copies = {name for notes in unchanged.values() for name in notes}
    rows, footnotes = [], []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        if row["analysis"] in copies:
            continue
        own = [note for note in _text(row.get(column)).split(SEPARATOR) if note]
        numbers = []
        for note in own:
            if note not in footnotes:
                footnotes.append(note)
            numbers.append(footnotes.index(note) + 1)
        numbers.sort()
        control, source = _control(row)
        absolute = bool(control)
        rows.append(
            {
                "analysis": row["analysis"],
                "title": row["title"],
                "sensitivity_of": _text(row.get("sensitivity_of")),
                "event": row["event"],
                "follow_up": _text(row.get("follow_up")) or "not stated",
                "participants": row["n_participants"],
                "trials": row["n_trials"],
                "certainty": _certainty(row),
                "rating": None if missing(row.get("rating")) else int(row["rating"]),
                "notes": numbers,
                "note_texts": own,
                "relative": _relative(
                    row if results is None else agreeing(row, results[row["analysis"]])
                ),
                "control": control,
                "baseline_source": source,
                "difference": _text(row.get("risk_difference")),
                # counts of events: a rate per person-time, not a risk
                "absolute_kind": "rate" if _text(row.get("control_rate_text")) else "risk",
                "intervention": _text(row.get("risk_with_intervention")),
                "no_absolute": "" if absolute else _short(_text(row.get("no_absolute_measures"))),
                "other_baselines": [
                    b for b in _text(row.get("other_baselines")).split(SEPARATOR) if b
                ],
                "statement": _text(row.get("statement")),
                "unchanged": list(unchanged.get(row["analysis"], {}).values()),
            }
        )
    return rows, footnotes


def _sensitivity(primary_title: str) -> str:
    return f" (sensitivity analysis of: {primary_title})" if primary_title else ""


def sof_frame(
    frame: pd.DataFrame,
    results: Mapping[str, Mapping[str, Any]] | None = None,
    unchanged: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """The summary of findings as a table (one row per analysis shown; its footnotes in full,
    each with its rule, numbered within the row; ``results`` and ``unchanged`` as for
    :func:`grade_rows`, the notes of the latter after the comments)."""
    rows, _ = grade_rows(frame, "footnotes", results, unchanged)
    out = []
    for r in rows:
        control = r["control"] or DASH
        if r["control"]:
            control += f" ({r['baseline_source']})"
        out.append(
            {
                "analysis": r["analysis"],
                "outcome": r["title"] + _sensitivity(r["sensitivity_of"]),
                "follow_up": r["follow_up"],
                "participants": r["participants"],
                "trials": r["trials"],
                "certainty": r["certainty"],
                "relative_effect": r["relative"],
                "risk_with_control": control,
                "risk_difference": r["difference"] or r["no_absolute"] or DASH,
                "comments": " ".join([r["statement"], *(f"{n}." for n in r["unchanged"])]),
                "footnotes": SEPARATOR.join(
                    f"{i}. {note}" for i, note in enumerate(r["note_texts"], start=1)
                ),
            }
        )
    return pd.DataFrame(out, columns=SOF_COLUMNS)


def certainty_rules(settings: CertaintySettings, risk_of_bias_file: bool) -> list[dict[str, str]]:
    """Every domain's rule with its thresholds, from the config, for the methods."""
    texts = {
        "risk_of_bias": risk_of_bias.rule_text(settings)
        + (
            ""
            if risk_of_bias_file
            else " (no risk-of-bias file is configured: not assessed, and said in a footnote)"
        ),
        "inconsistency": inconsistency.rule_text(settings),
        "indirectness": indirectness.rule_text(settings),
        "imprecision": imprecision.rule_text(settings),
        "publication_bias": publication_bias.rule_text(settings),
    }
    rules = [{"domain": DOMAIN_NAMES[d].capitalize(), "rule": texts[d]} for d in DOMAINS]
    overrides = [
        f"{analysis}, {DOMAIN_NAMES[domain]}: level {o.level} ({o.reason})"
        for analysis, chosen in settings.overrides.items()
        for domain, o in chosen.items()
    ]
    rules.append(
        {
            "domain": "Panel overrides",
            "rule": "; ".join(overrides) if overrides else "none configured",
        }
    )
    return rules
