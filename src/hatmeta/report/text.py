"""Plain-language sentences of the summary of findings, every number taken from the table."""

from __future__ import annotations

import pandas as pd

from hatmeta.evidence_rules import plural
from hatmeta.report.format import fmt_interval, fmt_prob, fmt_ratio, fmt_rd, missing
from hatmeta.report.results import NOT_SHOWN


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


def _counts(row) -> str:
    return f"{plural(row.n_trials, 'trial')}, {row.n_participants} participants"


def plain_language(sof: pd.DataFrame, evidence: str, treatment: str, control: str) -> list[str]:
    """One sentence per analysis of the summary of findings, numbers from ``sof``."""
    sentences = []
    for row in sof[sof["evidence"] == evidence].itertuples(index=False):
        if row.status == "no data" or (row.status not in NOT_SHOWN and missing(row.or_median)):
            sentences.append(
                f"{row.title}: no trial reported counts of {row.event} for both arms in this "
                "evidence set, so there is no pooled estimate."
            )
            continue
        if row.status in NOT_SHOWN:
            events = "" if missing(row.events) else f", {plural(int(row.events), 'event')}"
            sentences.append(
                f"{row.title} ({_counts(row)}{events}): {row.status}; {row.reason}. No pooled "
                "estimate or probability of benefit is given."
            )
            continue
        if missing(row.rd_median):
            change = f"the odds of the outcome '{row.event}' changed by a factor of"
            size = f"{fmt_ratio(row.or_median)} ({fmt_interval(row.or_lower, row.or_upper)})"
            absolute = f" No risk ratio or difference is given: {row.no_absolute_measures}."
        else:
            rd_points = 100 * row.rd_median
            if abs(rd_points) < 0.5:
                change = "about as many people per 100 had"
            else:
                direction = "more" if rd_points >= 0 else "fewer"
                change = f"about {abs(rd_points):.0f} {direction} people per 100 had"
            change += f" the outcome '{row.event}' than with {control} (risk difference"
            size = (
                f"{fmt_rd(row.rd_median)} percentage points, 95% CrI {fmt_rd(row.rd_lower)} to "
                f"{fmt_rd(row.rd_upper)}, at a baseline risk of {row.baseline_risk:.0%}; odds "
                f"ratio {fmt_ratio(row.or_median)}, {fmt_interval(row.or_lower, row.or_upper)})"
            )
            absolute = ""
        benefit = "better" if row.higher_is_better else "safer"
        sentences.append(
            f"{row.title} ({_counts(row)}): with {treatment}, {change} {size}.{absolute} "
            f"The probability that {treatment} is {benefit} is {fmt_prob(row.p_benefit)}: "
            f"{_verdict(row.p_benefit, treatment, control, row.higher_is_better)}."
        )
    return sentences
