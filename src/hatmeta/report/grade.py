"""The GRADE summary of findings: display rows, numbered footnotes and its CSV, from the
certainty table (``results/certainty/{evidence}/certainty.csv``) of the main evidence set, and
the certainty rules for the methods, from the config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.certainty import (
    imprecision,
    inconsistency,
    indirectness,
    publication_bias,
    risk_of_bias,
)
from hatmeta.certainty.assess import SEPARATOR
from hatmeta.certainty.domains import DOMAIN_NAMES, DOMAINS
from hatmeta.report.format import DASH, fmt_interval, fmt_ratio, missing

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


def _relative(row: dict[str, Any]) -> str:
    if missing(row.get("or_median")):
        status = row.get("status", "")
        reason = _text(row.get("reason"))
        return f"not estimated ({status}{': ' + reason if reason else ''})"
    interval = fmt_interval(row["or_lower"], row["or_upper"])
    return f"OR {fmt_ratio(row['or_median'])} ({interval})"


def _certainty(row: dict[str, Any]) -> str:
    if missing(row.get("rating")):
        return "not rated"
    return f"{row['symbols']} {row['certainty']}"


def grade_rows(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[str]]:
    """Display rows of the summary of findings, and its footnotes numbered in table order
    (each row carries the numbers of its own)."""
    rows, footnotes = [], []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        own = [note for note in _text(row.get("footnotes")).split(SEPARATOR) if note]
        numbers = []
        for note in own:
            footnotes.append(note)
            numbers.append(len(footnotes))
        control = _text(row.get("risk_with_control"))
        absolute = bool(control)
        rows.append(
            {
                "analysis": row["analysis"],
                "title": row["title"],
                "event": row["event"],
                "follow_up": _text(row.get("follow_up")) or "not stated",
                "participants": row["n_participants"],
                "trials": row["n_trials"],
                "certainty": _certainty(row),
                "rating": None if missing(row.get("rating")) else int(row["rating"]),
                "notes": numbers,
                "relative": _relative(row),
                "control": control,
                "baseline_source": _text(row.get("baseline_source")),
                "difference": _text(row.get("risk_difference")),
                "intervention": _text(row.get("risk_with_intervention")),
                "no_absolute": "" if absolute else _text(row.get("no_absolute_measures")),
                "other_baselines": [
                    b for b in _text(row.get("other_baselines")).split(SEPARATOR) if b
                ],
                "statement": _text(row.get("statement")),
            }
        )
    return rows, footnotes


def sof_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary of findings as a table (one row per analysis; footnotes in full)."""
    rows, footnotes = grade_rows(frame)
    out = []
    for r in rows:
        control = r["control"] or DASH
        if r["control"]:
            control += f" ({r['baseline_source']})"
        out.append(
            {
                "analysis": r["analysis"],
                "outcome": r["title"],
                "follow_up": r["follow_up"],
                "participants": r["participants"],
                "trials": r["trials"],
                "certainty": r["certainty"],
                "relative_effect": r["relative"],
                "risk_with_control": control,
                "risk_difference": r["difference"] or r["no_absolute"] or DASH,
                "comments": r["statement"],
                "footnotes": SEPARATOR.join(f"{n}. {footnotes[n - 1]}" for n in r["notes"]),
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
