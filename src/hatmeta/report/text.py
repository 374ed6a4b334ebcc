"""Plain-language sentences of the summary of findings, every number taken from the table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from hatmeta.evidence_rules import plural
from hatmeta.report.format import fmt_interval, fmt_prob, fmt_ratio, fmt_rd, missing, records
from hatmeta.report.results import NOT_SHOWN, relative_effect


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


def _verdict(p_benefit: float, treatment: str, control: str, higher_is_better: bool) -> str:
    certainty = _certainty(p_benefit)
    benefit = "better" if higher_is_better else "safer"
    if certainty.startswith("uncertain"):
        return f"it is uncertain whether {treatment} is {benefit} than {control}"
    if certainty == "unlikely":
        return f"{treatment} is unlikely to be {benefit} than {control}"
    return f"{treatment} is {certainty} {benefit} than {control}"


def _counts(row: Mapping[str, Any]) -> str:
    counts = f"{plural(row['n_trials'], 'trial')}, {row['n_participants']} participants"
    if row.get("effect_measure") == "rate ratio" and not missing(row.get("events")):
        counts += f", {plural(int(row['events']), 'event')}"
    return counts


def _size(row: Mapping[str, Any], control: str) -> tuple[str, str, str]:
    """What changed, by how much, and why no absolute effect is given (''), in words."""
    name, median, lower, upper = relative_effect(row)
    event = row["event"]
    if name != "OR":
        return (
            f"the rate of the event '{event}' was {fmt_ratio(median)} times that with {control}",
            f"({name.lower()}, 95% CrI {fmt_interval(lower, upper)})",
            f" No risk ratio or difference is given: {row['no_absolute_measures']}.",
        )
    if missing(row["rd_median"]):
        return (
            f"the odds of the outcome '{event}' changed by a factor of",
            f"{fmt_ratio(median)} ({fmt_interval(lower, upper)})",
            f" No risk ratio or difference is given: {row['no_absolute_measures']}.",
        )
    rd_points = 100 * row["rd_median"]
    if abs(rd_points) < 0.5:
        change = "about as many people per 100 had"
    else:
        direction = "more" if rd_points >= 0 else "fewer"
        change = f"about {abs(rd_points):.0f} {direction} people per 100 had"
    change += f" the outcome '{event}' than with {control} (risk difference"
    size = (
        f"{fmt_rd(row['rd_median'])} percentage points, 95% CrI {fmt_rd(row['rd_lower'])} to "
        f"{fmt_rd(row['rd_upper'])}, at a baseline risk of {row['baseline_risk']:.0%}; odds "
        f"ratio {fmt_ratio(median)}, {fmt_interval(lower, upper)})"
    )
    return change, size, ""


def sentence(row: Mapping[str, Any], treatment: str, control: str) -> str:
    """The plain-language sentence of one result row (:func:`results_table`)."""
    title, status = row["title"], row["status"]
    if status == "no data" or (status not in NOT_SHOWN and missing(relative_effect(row)[1])):
        return (
            f"{title}: no data (no trial reported counts of {row['event']} for both arms in "
            "this evidence set), so there is no pooled estimate."
        )
    if status in NOT_SHOWN:
        events = "" if missing(row["events"]) else f", {plural(int(row['events']), 'event')}"
        return (
            f"{title} ({_counts(row)}{events}): {status}; {row['reason']}. No pooled "
            "estimate or probability of benefit is given."
        )
    change, size, absolute = _size(row, control)
    benefit = "better" if row["higher_is_better"] else "safer"
    return (
        f"{title} ({_counts(row)}): with {treatment}, {change} {size}.{absolute} "
        f"The probability that {treatment} is {benefit} is {fmt_prob(row['p_benefit'])}: "
        f"{_verdict(row['p_benefit'], treatment, control, row['higher_is_better'])}."
    )


def plain_language(
    sof: pd.DataFrame, evidence: str, treatment: str, control: str
) -> list[dict[str, str]]:
    """One sentence per analysis of the summary of findings (``analysis``, ``text``), every
    number from its result row in ``sof`` (:func:`hatmeta.report.results.results_table`)."""
    rows = records(sof[sof["evidence"] == evidence])
    return [{"analysis": r["analysis"], "text": sentence(r, treatment, control)} for r in rows]
