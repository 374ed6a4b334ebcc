"""Plain-language sentences of the summary of findings, every number taken from the table."""

from __future__ import annotations

import pandas as pd

from hatmeta.report.format import fmt_interval, fmt_prob, fmt_ratio, fmt_rd, missing


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
        if row.status == "no data" or missing(row.or_median):
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
