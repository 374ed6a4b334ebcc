"""The risk-of-bias judgements the certainty uses: the published judgements file
(:mod:`hatmeta.certainty.risk_of_bias`) and the review's own RoB 2 answers
(:mod:`hatmeta.certainty.rob2_answers`), read and checked together, and per trial, outcome and
domain the judgement in use, with each analysis's weighted shares for the summary figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hatmeta.certainty.risk_of_bias import (
    COLUMNS,
    DERIVED,
    ITEMS,
    JUDGEMENTS,
    NOT_FOUND,
    OVERALL,
    PUBLISHED,
    coverage_problems,
    for_outcome,
    read_risk_of_bias,
    weights_share,
)
from hatmeta.data.csvtext import ExtractionError

if TYPE_CHECKING:
    from hatmeta.config import Analysis

#: Columns of :func:`judgements_in_use`.
IN_USE = (
    "trial",
    "outcome",
    "domain",
    "judgement",
    "origin",
    "path",
    "informative",
    "published",
    "line",
)


@dataclass(frozen=True)
class Assessment:
    """The risk-of-bias inputs: published judgements, the review's answers and what they
    give."""

    published: pd.DataFrame | None
    answers: pd.DataFrame | None
    derived: pd.DataFrame | None

    def in_use(self, outcomes: Iterable[str]) -> pd.DataFrame | None:
        """:func:`judgements_in_use` of the outcomes (None when there is nothing)."""
        if self.published is None and self.derived is None:
            return None
        return judgements_in_use(self.published, self.derived, outcomes)


def load_checked(
    path: str | Path | None,
    bibliography_path: str | Path,
    outcomes: Iterable[str],
    sheet_trials: Iterable[str],
    analyses: Mapping[str, Analysis],
    answers_path: str | Path | None = None,
    several_concerns_high: int | None = None,
) -> Assessment:
    """Read the judgements file (:func:`read_risk_of_bias`) and the review's RoB 2 answers
    (:func:`rob2_answers.read_rob2_answers`), either or both, derive the review's judgements,
    and check them against the sheet and the analyses (:func:`coverage_problems`); every
    problem at once, as an ``ExtractionError``."""
    from hatmeta.certainty import rob2_answers
    from hatmeta.data.sheet import load_bibliography

    keys = list(load_bibliography(bibliography_path)["key"])
    outcomes, sheet_trials = list(outcomes), list(sheet_trials)
    table = read_risk_of_bias(path, keys, outcomes) if path is not None else None
    answers = derived = None
    problems = []
    if answers_path is not None:
        answers = rob2_answers.read_rob2_answers(answers_path, keys, outcomes)
        problems += rob2_answers.trial_problems(answers, str(answers_path), sheet_trials)
        derived = rob2_answers.derive(answers, outcomes, several_concerns_high)
    where = str(path if path is not None else answers_path)
    problems += coverage_problems(table, where, sheet_trials, analyses, derived)
    if problems:
        raise ExtractionError(problems)
    return Assessment(table, answers, derived)


def _expand(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """The judgements file's rows for each outcome (:func:`for_outcome`), outcome filled in."""
    frames = [for_outcome(table, outcome).assign(outcome=outcome) for outcome in outcomes]
    return pd.concat(frames, ignore_index=True) if frames else table.iloc[0:0]


def judgements_in_use(
    published: pd.DataFrame | None, derived: pd.DataFrame | None, outcomes: Iterable[str]
) -> pd.DataFrame:
    """Per trial, outcome and domain (and ``overall``), the judgement the certainty uses: the
    review's own (``origin`` derived, ``path`` the answers that decided it) where it assessed
    the trial for the outcome, else the judgements file's (``origin`` published); ``published``
    holds the file's judgement beside a derived one ('' when none was published)."""
    outcomes = list(outcomes)
    pub = (
        _expand(published, outcomes)
        if published is not None
        else pd.DataFrame(columns=[*COLUMNS, "line"])
    )
    pub = pub[~pub["domain"].isin(list(ITEMS))]
    found = pub[pub["judgement"] != NOT_FOUND]
    lookup = {(r.trial, r.outcome, r.domain): r.judgement for r in found.itertuples(index=False)}
    rows = []
    assessed = set()
    if derived is not None:
        for r in derived.itertuples(index=False):
            assessed.add((r.trial, r.outcome))
            rows.append(
                (
                    r.trial,
                    r.outcome,
                    r.domain,
                    r.judgement,
                    DERIVED,
                    r.path,
                    bool(r.informative),
                    lookup.get((r.trial, r.outcome, r.domain), ""),
                    0,
                )
            )
    for r in pub.itertuples(index=False):
        if (r.trial, r.outcome) not in assessed:
            rows.append(
                (
                    r.trial,
                    r.outcome,
                    r.domain,
                    r.judgement,
                    PUBLISHED,
                    r.note,
                    r.judgement != NOT_FOUND,
                    "" if r.judgement == NOT_FOUND else r.judgement,
                    int(r.line),
                )
            )
    return pd.DataFrame(rows, columns=list(IN_USE))


def domain_shares(weights: pd.Series, table: pd.DataFrame | None, outcome: str) -> pd.DataFrame:
    """For each domain and ``overall``, the share of ``weights`` from trials judged low, some
    concerns, high, or not judged (``not_found``, also for a trial without a row): the
    weighted summary bar of one analysis."""
    from hatmeta.certainty.rob2 import DOMAINS as RULE_DOMAINS

    records = []
    for domain in (*RULE_DOMAINS, OVERALL):
        judged = {}
        if table is not None:
            rows = for_outcome(table[table["domain"] == domain], outcome)
            judged = dict(zip(rows["trial"], rows["judgement"], strict=True))
        for judgement in JUDGEMENTS:
            group = [t for t in weights.index if judged.get(t, NOT_FOUND) == judgement]
            records.append(
                {"domain": domain, "judgement": judgement, "share": weights_share(weights, group)}
            )
    return pd.DataFrame.from_records(records)
