"""Classical reproduction: every analysis's classical results, and published pooled results
beside ours on the same trials.

A published pooled result names its trials, or only how many trials and participants it
pooled. Then the trial set is derived: the sets of that many trials whose randomised totals
(treatment arm plus the first control arm with a randomised count) add up to the published
participant total. One such set is taken, with the arithmetic shown (status ``derived``); none
or several are said to be so. Point and interval are compared separately, and the comparison
says what is missing where it cannot be made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hatmeta.classical import COLUMNS, classical_meta_analysis, pool, trial_effects, two_by_two
from hatmeta.data.sheet import ALL_ARMS, RANDOMISED
from hatmeta.data.tables import included_arms
from hatmeta.evidence_rules import TrialCounts

if TYPE_CHECKING:
    from hatmeta.config import Analysis, Comparison

TRIAL_COLUMNS = ["trial", "yi", "vi", "corrected"]
COMPARISON_COLUMNS = [
    "source",
    "outcome",
    "statistic",
    "trials",
    "trial_set",
    "published_estimate",
    "published_lower",
    "published_upper",
    "published_n_studies",
    "published_n_participants",
    "analysis",
    "n_trials",
    "n_participants",
    "dl_rr",
    "dl_rr_lower",
    "dl_rr_upper",
    "point",
    "interval",
    "missing",
    "note",
]
#: Pooled statistics shown beside ours; only risk ratios are reproduced (DerSimonian-Laird).
RATIOS = ("risk ratio", "odds ratio")
REPRODUCED = "risk ratio"

#: Published ratios are given to two decimals: ours "agrees" when it rounds to the same value.
DECIMALS = 2


def classical_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every classical result of one analysis table, pooled rows then per-trial rows; empty when
    no trial has counts or the counts are of events (:mod:`hatmeta.evidence_rules`)."""
    columns = ["section", *COLUMNS, *TRIAL_COLUMNS]
    arms = included_arms(table)
    if arms.empty or TrialCounts.of(table).counts_events:
        return pd.DataFrame(columns=columns)
    result = classical_meta_analysis(arms[["trial", "role", "events", "total"]])
    return pd.concat(
        [result["pooled"].assign(section="pooled"), result["trials"].assign(section="trial")],
        ignore_index=True,
    ).reindex(columns=columns)


def randomised_totals(audit: pd.DataFrame, comparison: Comparison) -> dict[str, int]:
    """Each trial's randomised participants in the comparison (the sheet's ``randomised`` rows):
    the treatment arm plus its first control arm with a count, or, where the arm sizes were not
    found, the two arms together."""
    rows = audit[(audit["outcome"] == RANDOMISED) & audit["total"].notna()]
    totals = {}
    for trial, arms in rows.groupby("trial", sort=False):
        sizes = dict(zip(arms["arm"], arms["total"].astype(int), strict=True))
        control = next((sizes[a] for a in comparison.control_arms if a in sizes), None)
        if comparison.treatment_arm in sizes and control is not None:
            totals[str(trial)] = sizes[comparison.treatment_arm] + control
        elif ALL_ARMS in sizes:
            totals[str(trial)] = sizes[ALL_ARMS]
    return totals


def derive_trials(n_studies, n_participants, totals: Mapping[str, int]) -> tuple[list, str]:
    """The trial set a published total implies, and how it was found (module docstring)."""
    if pd.isna(n_studies) or pd.isna(n_participants):
        return [], "not stated, and no totals to derive it from"
    matches = [
        subset
        for subset in combinations(totals, int(n_studies))
        if sum(totals[t] for t in subset) == int(n_participants)
    ]
    if len(matches) == 1:
        arithmetic = " + ".join(str(totals[t]) for t in matches[0])
        return list(matches[0]), f"derived: {int(n_participants)} = {arithmetic}"
    if not matches:
        return [], f"not derivable: no {int(n_studies)} trials add up to {int(n_participants)}"
    return [], f"ambiguous: {len(matches)} sets of trials add up to {int(n_participants)}"


def _agreement(ours: float, published: float) -> str:
    if np.isnan(ours) or pd.isna(published):
        return "not compared"
    same = round(ours, DECIMALS) == round(float(published), DECIMALS)
    verdict = "agrees to 2 decimals" if same else "differs"
    return f"{verdict}: {ours:.{DECIMALS}f} here, {float(published):.{DECIMALS}f} published"


def _interval(lower: float, upper: float, published_lower, published_upper) -> str:
    if pd.isna(published_lower) or pd.isna(published_upper):
        return "no published interval to compare"
    ours = f"{lower:.{DECIMALS}f} to {upper:.{DECIMALS}f}"
    theirs = f"{float(published_lower):.{DECIMALS}f} to {float(published_upper):.{DECIMALS}f}"
    same = ours == theirs
    return f"{'agrees' if same else 'differs'}: {ours} here, {theirs} published"


def _reproduce(trials: Sequence[str], outcome: str, tables, analyses) -> dict[str, Any]:
    """DL risk ratio on ``trials`` from the first analysis of ``outcome`` that has them all."""
    candidates = [n for n, a in analyses.items() if a.outcome.name == outcome and n in tables]
    have = {n: set(included_arms(tables[n])["trial"]) for n in candidates}
    counts_events = {n: TrialCounts.of(tables[n]).counts_events for n in candidates}
    events = {t for n in candidates if counts_events[n] for t in have[n]}
    best = next((n for n in candidates if set(trials) <= have[n] and not counts_events[n]), None)
    if best is None:
        found = set().union(*have.values()) if have else set()
        missing = []
        if gaps := [t for t in trials if t not in found]:
            missing.append("per-arm counts not in the sheet for " + ", ".join(gaps))
        if counted := [t for t in trials if t in events]:
            missing.append("counts of events, not participants, for " + ", ".join(counted))
        return {"missing": "; ".join(missing)}
    arms = included_arms(tables[best])
    arms = arms[arms["trial"].isin(trials)]
    effects = trial_effects(two_by_two(arms[["trial", "role", "events", "total"]]), "RR")
    dl = pool(effects["yi"], effects["vi"], "DL")
    return {
        "analysis": best,
        "n_trials": int(arms["trial"].nunique()),
        "n_participants": int(arms["total"].sum()),
        "dl_rr": float(np.exp(dl["estimate"])),
        "dl_rr_lower": float(np.exp(dl["lower"])),
        "dl_rr_upper": float(np.exp(dl["upper"])),
        "missing": "",
    }


def published_comparison(
    published: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    analyses: Mapping[str, Analysis],
    audit: pd.DataFrame,
    comparison: Comparison,
) -> pd.DataFrame:
    """Each published pooled risk ratio reproduced by DerSimonian-Laird on its trial set, as
    listed or derived from its participant total (module docstring); a pooled odds ratio is
    shown with its note (what it pooled, how it differs from ours), not reproduced."""
    totals = randomised_totals(audit, comparison)
    rows = []
    pooled = published[(published["scope"] == "pooled") & published["statistic"].isin(RATIOS)]
    for record in pooled.to_dict("records"):
        listed = [t for t in str(record["trials"] or "").split(";") if t and t != "nan"]
        trials, trial_set = listed, "as published"
        reproduced = record["statistic"] == REPRODUCED
        if not listed and reproduced:
            trials, trial_set = derive_trials(record["n_studies"], record["n_participants"], totals)
        elif not listed:
            trial_set = "not stated"
        row = {
            "source": record["source"],
            "outcome": record["outcome"],
            "statistic": record["statistic"],
            "trials": ";".join(trials),
            "trial_set": trial_set,
            "published_estimate": record["estimate"],
            "published_lower": record["lower"],
            "published_upper": record["upper"],
            "published_n_studies": record["n_studies"],
            "published_n_participants": record["n_participants"],
            "note": record.get("note", ""),
        }
        if not reproduced:
            row["missing"] = f"not reproduced: only pooled {REPRODUCED}s are reproduced here"
        elif trials:
            row |= _reproduce(trials, record["outcome"], tables, analyses)
        else:
            row["missing"] = "the trial set"
        ours = row.get("dl_rr", np.nan)
        row["point"] = _agreement(ours, record["estimate"])
        row["interval"] = (
            _interval(row["dl_rr_lower"], row["dl_rr_upper"], record["lower"], record["upper"])
            if not np.isnan(ours)
            else "not compared"
        )
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS)
