"""The review's own RoB 2 assessment: the signalling-answers file, its validation, and the
judgements derived from it by :mod:`hatmeta.certainty.rob2`.

The file (config key ``data/rob2_answers``; CSV, UTF-8, comma-separated) has the columns
:data:`COLUMNS`, one row per trial x question, optionally per outcome:

``trial``
    A trial of the extraction sheet.
``outcome``
    Blank: the answer holds for every outcome of the trial. An outcome named in the config:
    it holds for that outcome and replaces the blank row of the same trial and question.
``question``
    A RoB 2 signalling question, ``1.1`` to ``5.3`` (:data:`hatmeta.certainty.rob2.QUESTIONS`).
``answer``
    ``Y``, ``PY``, ``PN``, ``N``, ``NI`` (no information) or ``NA`` (not asked).
``quote``, ``source``, ``location``
    The words that support the answer, the bibliography key of their source and where in it:
    required for every answer but ``NI`` and ``NA``, which carry none (say in ``note`` what was
    searched).
``note``
    The reasoning, in a sentence.

A trial's answers for an outcome are its outcome rows over its blank rows; they must answer
every question and follow RoB 2's skip logic (a question asked is not ``NA``, a question not
asked is ``NA``). A trial without blank rows is assessed only for the outcomes it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from hatmeta.certainty import rob2
from hatmeta.data.csvtext import (
    ExtractionError,
    SheetProblem,
    read_text_table,
    undefined_outcome,
)

COLUMNS = ("trial", "outcome", "question", "answer", "quote", "source", "location", "note")
#: Columns of :func:`derive`'s table.
DERIVED_COLUMNS = ("trial", "outcome", "domain", "judgement", "path", "informative")
WHAT = "RoB 2 answers file"


def _key(row: Mapping) -> str:
    return "/".join(str(row[c]) for c in ("trial", "outcome", "question") if row[c])


def _row_problems(path: str, raw: pd.DataFrame, keys: set[str], outcomes: list[str]):
    problems = []
    seen: dict[tuple[str, str, str], int] = {}
    # Rows as plain records: a pandas Series per row costs ten times the checks themselves.
    for index, row in zip(raw.index, raw.to_dict("records"), strict=True):

        def add(column, message, row=row, index=index):
            problems.append(SheetProblem(path, int(index), _key(row), column, message))

        if not row["trial"]:
            add("trial", "empty trial")
        if row["outcome"] and row["outcome"] not in outcomes:
            add("outcome", undefined_outcome(row["outcome"], outcomes))
        if row["question"] not in rob2.QUESTIONS:
            add("question", f"got '{row['question']}', expected one of 1.1 to 5.3 (RoB 2)")
        answer = row["answer"]
        if answer not in rob2.ANSWERS:
            add("answer", f"got '{answer}', expected one of {', '.join(rob2.ANSWERS)}")
        elif answer in (rob2.NI, rob2.NA):
            for column in ("quote", "source", "location"):
                if row[column]:
                    add(
                        column,
                        f"an '{answer}' answer carries no {column} (say in the note what was "
                        "searched)"
                        if answer == rob2.NI
                        else f"an 'NA' answer carries no {column}",
                    )
        else:
            for column, what in (
                ("quote", "the supporting words, quoted"),
                ("source", "its source key"),
                ("location", "where in the source the quote is"),
            ):
                if not row[column]:
                    add(column, f"a '{answer}' answer needs {what}")
            if row["source"] and row["source"] not in keys:
                add("source", f"source key '{row['source']}' is not in the bibliography")
        key = (row["trial"], row["outcome"], row["question"])
        if key in seen:
            add(None, f"duplicate of line {seen[key]} (same trial, outcome, question)")
        else:
            seen[key] = int(index)
    return problems


def _scopes(rows: list[dict]) -> list[str]:
    """A trial's outcomes with answers of their own, after '' (its blank rows) if it has any."""
    outcomes = {r["outcome"] for r in rows}
    return ([""] if "" in outcomes else []) + sorted(outcomes - {""})


def resolve(rows: list[dict], outcome: str) -> dict[str, dict]:
    """One trial's answer rows (records) for ``outcome``: its outcome rows over its blank rows,
    by question (an outcome with no rows of its own takes the blank rows)."""
    out = {r["question"]: r for r in rows if r["outcome"] == ""}
    if outcome:
        out |= {r["question"]: r for r in rows if r["outcome"] == outcome}
    return out


def by_trial(table: pd.DataFrame) -> dict[str, list[dict]]:
    """The answer rows of each trial, as records, in the file's order."""
    out: dict[str, list[dict]] = {}
    for row in table.to_dict("records"):
        out.setdefault(row["trial"], []).append(row)
    return out


def _logic_problems(path: str, table: pd.DataFrame) -> list[SheetProblem]:
    problems = []
    for trial, rows in by_trial(table).items():
        for scope in _scopes(rows):
            chosen = resolve(rows, scope)
            answers = {q: row["answer"] for q, row in chosen.items()}
            what = f"for outcome '{scope}'" if scope else "for every outcome"
            for question, message in rob2.consistency_problems(answers):
                row = chosen.get(question)
                line = int(row["line"]) if row is not None else None
                column = "answer" if row is not None else "question"
                problems.append(
                    SheetProblem(
                        path,
                        line,
                        f"{trial}/{question}",
                        column,
                        f"question {question} {message} ({what})",
                    )
                )
    return problems


def read_rob2_answers(
    path: str | Path, source_keys: Iterable[str], outcomes: Iterable[str]
) -> pd.DataFrame:
    """Read and validate the answers file: every row (:func:`_row_problems`), then every
    trial's answers for each outcome it has rows for against RoB 2's skip logic; as
    :func:`hatmeta.certainty.risk_of_bias.read_risk_of_bias`, the rows come back as text with
    their physical ``line``, and an ``ExtractionError`` lists every problem with file, line,
    row key and column."""
    raw = read_text_table(path, COLUMNS, WHAT)
    if raw.empty:
        raise ExtractionError([SheetProblem(str(path), None, "", None, "the file has no rows")])
    problems = _row_problems(str(path), raw, set(source_keys), list(outcomes))
    if problems:
        raise ExtractionError(problems)
    table = raw.copy()
    table.insert(0, "line", [int(i) for i in raw.index])
    table = table.reset_index(drop=True)
    problems = _logic_problems(str(path), table)
    if problems:
        raise ExtractionError(problems)
    return table


def trial_problems(table: pd.DataFrame, path: str, sheet_trials: Iterable[str]):
    """A trial of the file that the sheet lacks."""
    trials = set(sheet_trials)
    return [
        SheetProblem(
            path, int(row.line), row.trial, "trial", f"trial '{row.trial}' is not in the sheet"
        )
        for row in table.itertuples(index=False)
        if row.trial not in trials
    ]


def assessed_outcomes(rows: list[dict], outcomes: Iterable[str]) -> list[str]:
    """The outcomes (of ``outcomes``) for which a trial with answer ``rows`` is assessed: all
    of them with blank-outcome rows, else those it names."""
    named = {r["outcome"] for r in rows}
    return list(outcomes) if "" in named else [o for o in outcomes if o in named]


def derive(
    table: pd.DataFrame, outcomes: Iterable[str], several_concerns_high: int | None = None
) -> pd.DataFrame:
    """Every assessed trial's judgement per outcome and domain (and ``overall``), with the
    answers that decided it (``path``) and whether the domain's answers carry any information
    (``informative``: not all NI/NA; always True for ``overall``)."""
    outcomes = list(outcomes)
    records = []
    for trial, rows in by_trial(table).items():
        for outcome in assessed_outcomes(rows, outcomes):
            answers = {q: row["answer"] for q, row in resolve(rows, outcome).items()}
            for domain, judged in rob2.judge(answers, several_concerns_high).items():
                records.append(
                    {
                        "trial": trial,
                        "outcome": outcome,
                        "domain": domain,
                        "judgement": judged.judgement,
                        "path": judged.path,
                        "informative": domain == "overall" or rob2.informative(domain, answers),
                    }
                )
    return pd.DataFrame.from_records(records, columns=list(DERIVED_COLUMNS))
