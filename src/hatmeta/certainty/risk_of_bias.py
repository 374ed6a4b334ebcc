"""Risk of bias: the judgements file, its validation, and the rule on inverse-variance weight.

The file (config key ``data/risk_of_bias``; CSV, UTF-8, comma-separated) has the columns
:data:`COLUMNS`, one row per trial x domain, optionally per outcome:

``trial``
    A trial of the extraction sheet.
``outcome``
    Blank: the judgement applies to every outcome of the trial. An outcome named in the
    config: it applies to that outcome and replaces the blank row of the same trial and domain.
``domain``
    One of :data:`DOMAINS` (the RoB 2 domains and the overall judgement), or an item of the
    original Cochrane tool that answers one RoB 2 question (:data:`ITEMS`), shown beside the
    review's answer to that question and not used by the rule.
``judgement``
    One of :data:`JUDGEMENTS` (an item's ``some_concerns`` is the old tool's 'unclear');
    ``not_found`` when no published judgement was found.
``source``, ``location``
    The bibliography key of the judgement's source and where in it (both required unless the
    judgement is ``not_found``, which carries neither).
``note``
    Free text.

:func:`read_risk_of_bias` refuses a file with any problem, listing each by file, physical
line, row key and column, as the extraction sheet does (:mod:`hatmeta.data.csvtext`).
:func:`coverage_problems` names a trial of the file that the sheet lacks and a trial of an
analysis without an overall judgement for the analysis's outcome.

The review's own RoB 2 assessment (:mod:`hatmeta.certainty.rob2_answers`) takes precedence:
:func:`hatmeta.certainty.rob_assessment.judgements_in_use` keeps, per trial and outcome, the
judgements derived from the review's signalling answers where it has them and this file's
otherwise, each marked with its origin; :func:`assess` reads that table as it reads this file.

The rule (:func:`assess`) uses only the overall judgement. Each included trial weighs by the
inverse of its log odds ratio's variance (Woolf; 0.5 added to the cells of a table with a
zero cell), as in the fixed-effect analysis. With ``s_high`` the share of weight from trials
at high risk and ``s_concern`` the share from trials at high risk or with some concerns
(``not_found`` counting as some concerns, and footnoted):

* very serious (2) when ``s_high > very_serious_high_share``;
* serious (1) when ``s_concern > serious_share``;
* otherwise not serious.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hatmeta.certainty.domains import Domain
from hatmeta.data.csvtext import (
    ExtractionError,
    SheetProblem,
    read_text_table,
    undefined_outcome,
)

if TYPE_CHECKING:
    from hatmeta.config import Analysis, CertaintySettings

COLUMNS = ("trial", "outcome", "domain", "judgement", "source", "location", "note")
#: Items of the original Cochrane tool with the RoB 2 question each corresponds to.
ITEMS = {"sequence_generation": "1.1", "allocation_concealment": "1.2"}
DOMAINS = (
    "randomisation",
    "deviations",
    "missing_data",
    "measurement",
    "selection",
    "overall",
    *ITEMS,
)
JUDGEMENTS = ("low", "some_concerns", "high", "not_found")
OVERALL = "overall"
NOT_FOUND = "not_found"
#: Judgements counted as some concerns by the rule.
CONCERNS = ("some_concerns", NOT_FOUND)
#: Where a judgement in use comes from.
DERIVED, PUBLISHED = "derived", "published"


def _key(row: Mapping) -> str:
    return "/".join(str(row[c]) for c in ("trial", "outcome", "domain") if row[c])


def read_risk_of_bias(
    path: str | Path, source_keys: Iterable[str], outcomes: Iterable[str]
) -> pd.DataFrame:
    """Read and validate the risk-of-bias file.

    Parameters
    ----------
    path
        The file.
    source_keys
        The bibliography's keys; every ``source`` must be one of them.
    outcomes
        The config's outcome names; a non-blank ``outcome`` must be one of them.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` as text and ``line``, each row's physical line.

    Raises
    ------
    ExtractionError
        Listing every problem with file, line, row key and column.
    """
    path = Path(path)
    raw = read_text_table(path, COLUMNS, "risk-of-bias file")
    keys, outcomes = set(source_keys), list(outcomes)
    problems = []

    def add(index, row, column, message):
        problems.append(SheetProblem(str(path), int(index), _key(row), column, message))

    seen: dict[tuple[str, str, str], int] = {}
    for index, row in raw.iterrows():
        if not row["trial"]:
            add(index, row, "trial", "empty trial")
        if row["outcome"] and row["outcome"] not in outcomes:
            add(index, row, "outcome", undefined_outcome(row["outcome"], outcomes))
        if row["domain"] not in DOMAINS:
            add(
                index, row, "domain", f"got '{row['domain']}', expected one of {', '.join(DOMAINS)}"
            )
        if row["judgement"] not in JUDGEMENTS:
            expected = ", ".join(JUDGEMENTS)
            add(index, row, "judgement", f"got '{row['judgement']}', expected one of {expected}")
        if row["judgement"] == NOT_FOUND:
            if row["source"] or row["location"]:
                add(index, row, "source", "a 'not_found' judgement has no source or location")
        elif row["judgement"] in JUDGEMENTS:
            if not row["source"]:
                add(index, row, "source", f"a '{row['judgement']}' judgement needs its source key")
            elif row["source"] not in keys:
                add(
                    index, row, "source", f"source key '{row['source']}' is not in the bibliography"
                )
            if not row["location"]:
                add(index, row, "location", "say where in the source the judgement is")
        key = (row["trial"], row["outcome"], row["domain"])
        if key in seen:
            add(index, row, None, f"duplicate of line {seen[key]} (same trial, outcome, domain)")
        else:
            seen[key] = int(index)
    if raw.empty:
        problems.append(SheetProblem(str(path), None, "", None, "the file has no rows"))
    if problems:
        raise ExtractionError(problems)
    frame = raw.copy()
    frame.insert(0, "line", [int(i) for i in raw.index])
    return frame.reset_index(drop=True)


def for_outcome(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The rows that hold for ``outcome``, one per trial and domain: the outcome's own row,
    else the blank-outcome row."""
    rows = table[table["outcome"].isin(["", outcome])]
    rows = rows.assign(specific=rows["outcome"] != "").sort_values("specific", kind="stable")
    return rows.drop_duplicates(["trial", "domain"], keep="last").drop(columns="specific")


def overall_judgements(table: pd.DataFrame, outcome: str) -> dict[str, tuple[str, int]]:
    """Each trial's overall judgement for ``outcome`` and its line (:func:`for_outcome`)."""
    rows = for_outcome(table[table["domain"] == OVERALL], outcome)
    return {r.trial: (r.judgement, int(r.line)) for r in rows.itertuples(index=False)}


def coverage_problems(
    table: pd.DataFrame | None,
    path: str,
    sheet_trials: Iterable[str],
    analyses: Mapping[str, Analysis],
    derived: pd.DataFrame | None = None,
) -> list[SheetProblem]:
    """A trial in the file but not in the sheet, and a trial of an analysis that has neither
    the review's own judgement (``derived``, from :func:`rob2_answers.derive`) nor an overall
    judgement in the file for the analysis's outcome."""
    problems = []
    trials = set(sheet_trials)
    for row in (table if table is not None else pd.DataFrame(columns=COLUMNS)).itertuples(
        index=False
    ):
        if row.trial not in trials:
            problems.append(
                SheetProblem(
                    path, row.line, row.trial, "trial", f"trial '{row.trial}' is not in the sheet"
                )
            )
    for name, analysis in analyses.items():
        outcome = analysis.outcome.name
        overall = overall_judgements(table, outcome) if table is not None else {}
        if derived is not None:
            overall |= {t: None for t in derived.loc[derived["outcome"] == outcome, "trial"]}
        missing = [t for t in analysis.trials if t not in overall]
        if missing:
            problems.append(
                SheetProblem(
                    path,
                    None,
                    f"analyses/{name}",
                    "trial",
                    f"no '{OVERALL}' judgement (blank outcome or '{outcome}') for trial(s) "
                    f"{', '.join(missing)} of analysis '{name}': add a row, '{NOT_FOUND}' if "
                    "none was found"
                    + (
                        ", or answer the trial's RoB 2 questions (NI where nothing was found)"
                        if derived is not None
                        else ""
                    ),
                )
            )
    return problems


def log_or_weights(trials: pd.DataFrame) -> pd.Series:
    """Inverse-variance (Woolf) weight of each trial's log odds ratio, by trial."""
    from hatmeta.bayes.summaries import log_odds_ratios

    _, variance, _ = log_odds_ratios(
        *(trials[c].to_numpy() for c in ("events_treatment", "total_treatment")),
        *(trials[c].to_numpy() for c in ("events_control", "total_control")),
    )
    return pd.Series(1.0 / variance, index=trials["trial"].astype(str).to_numpy())


def log_rate_ratio_weights(trials: pd.DataFrame) -> pd.Series:
    """Inverse-variance weight of each trial's log rate ratio, by trial: ``1 / (1/y_T + 1/y_C)``
    from the arms' event counts (``events_treatment``, ``events_control``), 0.5 added to both
    counts of a trial with a zero count, as the rate model's trial variances
    (:mod:`hatmeta.bayes.rates`)."""
    cells = trials[["events_treatment", "events_control"]].to_numpy(dtype=float, copy=True)
    cells[(cells == 0).any(axis=1)] += 0.5
    variance = (1.0 / cells).sum(axis=1)
    return pd.Series(1.0 / variance, index=trials["trial"].astype(str).to_numpy())


def _share(weights: pd.Series, trials: list[str]) -> float:
    return float(weights[trials].sum() / weights.sum()) if len(trials) else 0.0


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def rule_text(settings: CertaintySettings) -> str:
    """The rule in words, with the configured thresholds."""
    serious, very = settings.rob_serious_share, settings.rob_very_serious_high_share
    text = (
        f"more than {_pct(very)} of the weight from trials at high risk overall: very serious; "
        f"more than {_pct(serious)} from trials at high risk or with some concerns "
        "(a judgement not found counts as some concerns): serious. A trial's overall judgement "
        "is the review's own, derived from its RoB 2 answers by RoB 2's decision rules, where "
        "it has them: high if any domain is high, low if every domain is low, otherwise some "
        "concerns"
    )
    if settings.rob_several_concerns_high is not None:
        text += (
            f"; some concerns in {settings.rob_several_concerns_high} or more domains counts as "
            f"high ({settings.rob_several_concerns_reason})"
        )
    return text


def assess(
    trials: pd.DataFrame,
    table: pd.DataFrame | None,
    analysis: Analysis,
    settings: CertaintySettings,
    weights: pd.Series | None = None,
) -> Domain:
    """The risk-of-bias domain of one analysis.

    Parameters
    ----------
    trials
        The fit's included trials (``trial``, ``events_treatment``, ``total_treatment``,
        ``events_control``, ``total_control``).
    table
        The judgements in use (:func:`hatmeta.certainty.rob_assessment.judgements_in_use`), or a
        judgements file as read by
        :func:`read_risk_of_bias`, or None when nothing is configured.
    analysis, settings
        The analysis, and the thresholds ``rob_serious_share`` and
        ``rob_very_serious_high_share``.
    weights
        Each trial's weight, by trial; by default the inverse-variance weight of its log odds
        ratio (:func:`log_or_weights`), for counts of events that of its log rate ratio
        (:func:`log_rate_ratio_weights`).
    """
    serious, very = settings.rob_serious_share, settings.rob_very_serious_high_share
    rule = rule_text(settings)
    if table is None:
        return Domain("risk_of_bias", 0, rule, "no risk-of-bias judgements given", False)
    if trials.empty:
        return Domain("risk_of_bias", 0, rule, "no trial with counts", False)
    judged = overall_judgements(table, analysis.outcome.name)
    weights = log_or_weights(trials) if weights is None else weights
    names = list(weights.index)
    verdict = {t: judged.get(t, (NOT_FOUND, 0))[0] for t in names}
    high = [t for t in names if verdict[t] == "high"]
    concern = [t for t in names if verdict[t] in CONCERNS]
    not_found = [t for t in names if verdict[t] == NOT_FOUND]
    s_high = _share(weights, high)
    s_concern = _share(weights, high + concern)
    level = 2 if s_high > very else (1 if s_concern > serious else 0)
    outcome = analysis.outcome.name

    def named(group: list[str], judgement: str) -> str:
        return ", ".join(f"{t}{_drivers(table, t, outcome, judgement)}" for t in group)

    concern_only = [t for t in concern if t not in high]
    parts = [
        f"{_pct(s_high)} of the inverse-variance weight from trials at high risk of bias overall"
        + (f" ({named(high, 'high')})" if high else ""),
        f"{_pct(s_concern)} at high risk or with some concerns"
        + (
            f" ({'also ' if high else ''}{named(concern_only, 'some_concerns')})"
            if concern_only
            else ""
        ),
    ]
    numbers = "; ".join(parts) + "."
    origins = _origins(table, names, outcome)
    if origins.get(DERIVED):
        numbers += (
            f" Overall judgements derived from this review's RoB 2 answers: "
            f"{', '.join(origins[DERIVED])}."
        )
    if origins.get(PUBLISHED):
        numbers += f" Published judgements: {', '.join(origins[PUBLISHED])}."
    if not_found:
        numbers += (
            " No overall judgement was found (published) or derived (from RoB 2 answers) for "
            f"{', '.join(not_found)} "
            f"({_pct(_share(weights, not_found))} of the weight), counted as some concerns."
        )
    return Domain("risk_of_bias", level, rule, numbers)


def _drivers(table: pd.DataFrame, trial: str, outcome: str, judgement: str) -> str:
    """The domains judged ``judgement`` behind a trial's overall judgement, as ': D2, D3'
    ('' when no domain is judged)."""
    from hatmeta.certainty.rob2 import DOMAIN_TITLES

    rows = for_outcome(table[(table["trial"] == trial) & (table["domain"] != OVERALL)], outcome)
    words = [
        DOMAIN_TITLES[r.domain].split()[0]
        for r in rows.itertuples(index=False)
        if r.judgement == judgement and r.domain in DOMAIN_TITLES
    ]
    return f": {', '.join(words)} {judgement.replace('_', ' ')}" if words else ""


def _origins(table: pd.DataFrame, trials: list[str], outcome: str) -> dict[str, list[str]]:
    """The trials whose overall judgement for ``outcome`` is derived, and those published."""
    if "origin" not in table:
        return {}
    rows = table[(table["domain"] == OVERALL) & (table["outcome"] == outcome)]
    origin = dict(zip(rows["trial"], rows["origin"], strict=True))
    out: dict[str, list[str]] = {}
    for trial in trials:
        if trial in origin and not (
            origin[trial] == PUBLISHED
            and rows.loc[rows["trial"] == trial, "judgement"].iloc[0] == NOT_FOUND
        ):
            out.setdefault(origin[trial], []).append(trial)
    return out


def weights_share(weights: pd.Series, trials: Iterable[str]) -> float:
    """The share of the weight of ``trials`` (0 when none)."""
    chosen = [t for t in trials if t in weights.index]
    return _share(weights, chosen) if chosen else 0.0
