"""The trials table: one hand-entered row per trial with the attributes analyses select on.

``data/trials`` (optional) names a CSV file with the columns :data:`TRIAL_COLUMNS`: where and
when the trial ran, how the treatment was given (``route``, ``supervision``), its control,
follow-up and primary outcome, and the sources of these. Attributes are data, not code: an
analysis keeps or leaves out trials by them (``select`` and ``exclude`` in the config, see
:func:`selection`), and the reason a trial is left out names the attribute and its value.

The table is refused like the extraction sheet (:mod:`hatmeta.data.csvtext`): every problem
with its file, physical line and column, all at once. A trial in the table but not in the
sheet, or in the sheet but not in the table, is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hatmeta.data.csvtext import ExtractionError, SheetProblem, read_text_table

if TYPE_CHECKING:
    from hatmeta.config import Analysis

TRIAL_COLUMNS = (
    "trial",
    "country",
    "years",
    "route",
    "supervision",
    "control",
    "follow_up",
    "primary_outcome",
    "source",
    "location",
    "note",
)
#: Columns every row must fill.
REQUIRED = ("trial", "country", "years", "route", "supervision", "source", "location")
#: Columns an analysis may not select on (they are not attributes but identity and provenance).
NOT_ATTRIBUTES = ("trial", "source", "location", "note")
#: Attribute values the config matches exactly: a name, no spaces.
VALUE = re.compile(r"^[A-Za-z0-9_.-]+$")
#: Attributes whose values must be names (the others are free text).
CODED = ("route", "supervision")
SOURCE_SEPARATOR = ";"


def attributes(table: pd.DataFrame) -> list[str]:
    """The columns of the trials table an analysis may select or exclude on."""
    return [c for c in table.columns if c in TRIAL_COLUMNS and c not in NOT_ATTRIBUTES]


def source_keys(cell: str) -> list[str]:
    """The bibliography keys of a ``source`` cell (``;``-separated)."""
    return [key.strip() for key in str(cell).split(SOURCE_SEPARATOR) if key.strip()]


def load_trials(
    path: str | Path, bibliography: pd.DataFrame, sheet_trials: Iterable[str] | None = None
) -> pd.DataFrame:
    """Read and check the trials table.

    Parameters
    ----------
    path
        The trials table (CSV, columns :data:`TRIAL_COLUMNS`).
    bibliography
        Every ``source`` key must be one of its keys.
    sheet_trials
        The trials of the extraction sheet: each must have a row, and each row must be one of
        them (not checked when None).

    Returns
    -------
    pandas.DataFrame
        The table as text, in file order, with a ``line`` column (each row's physical line).

    Raises
    ------
    ExtractionError
        Listing every problem with its file, line and column.
    """
    path = Path(path)
    table = read_text_table(path, TRIAL_COLUMNS, "trials table")
    where = str(path)
    problems: list[SheetProblem] = []
    if table.empty:
        raise ExtractionError([SheetProblem(where, None, "", None, "the table has no rows")])
    keys = set(bibliography["key"])
    first_line: dict[str, int] = {}
    for line, row in table.iterrows():
        line, trial = int(line), row["trial"]
        for column in REQUIRED:
            if not row[column]:
                problems.append(SheetProblem(where, line, trial, column, "empty; fill it in"))
        for column in CODED:
            if row[column] and not VALUE.match(row[column]):
                problems.append(
                    SheetProblem(
                        where,
                        line,
                        trial,
                        column,
                        f"'{row[column]}' is not a code: use letters, digits and _ (e.g. "
                        f"'{re.sub(r'[^A-Za-z0-9_.-]+', '_', row[column]).strip('_')}')",
                    )
                )
        for key in source_keys(row["source"]):
            if key not in keys:
                problems.append(
                    SheetProblem(
                        where,
                        line,
                        trial,
                        "source",
                        f"source key '{key}' is not in the bibliography",
                    )
                )
        if trial in first_line:
            problems.append(
                SheetProblem(where, line, trial, "trial", f"duplicate of line {first_line[trial]}")
            )
        elif trial:
            first_line[trial] = line
    if sheet_trials is not None:
        in_sheet = list(dict.fromkeys(sheet_trials))
        for trial, line in first_line.items():
            if trial not in in_sheet:
                problems.append(
                    SheetProblem(
                        where, line, trial, "trial", "this trial has no row in the extraction sheet"
                    )
                )
        for trial in in_sheet:
            if trial not in first_line:
                problems.append(
                    SheetProblem(
                        where,
                        None,
                        trial,
                        "trial",
                        f"trial {trial} of the extraction sheet has no row in the trials table",
                    )
                )
    if problems:
        raise ExtractionError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    table.insert(0, "line", [int(i) for i in table.index])
    return table.reset_index(drop=True)


def _rule_reason(row: pd.Series, analysis: Analysis) -> str:
    # An attribute the table lacks matches nothing (the start-up checks name it).
    for attribute, allowed in analysis.select:
        if row.get(attribute) not in allowed:
            return f"{attribute} {row.get(attribute, '(not in the trials table)')}, not selected"
    for attribute, dropped in analysis.exclude:
        if row.get(attribute) in dropped:
            return f"{attribute} {row[attribute]}, excluded"
    return ""


def selection(analysis: Analysis, table: pd.DataFrame | None) -> list[tuple[str, str]]:
    """The trials an analysis's table lists, in order, each with why it is left out ('' when
    it is considered).

    Without a trials table: the analysis's ``trials``, none left out here. With one: the
    analysis's ``trials`` (or, without them, every trial of the table) in that order, then the
    table's other trials; a trial is left out when an attribute under ``select`` has a value
    not listed (``route oral, not selected``), when one under ``exclude`` has a value listed
    (``route oral, excluded``), or when the analysis lists trials and not this one.
    """
    if table is None:
        return [(trial, "") for trial in analysis.trials]
    rows = table.set_index("trial")
    order = list(dict.fromkeys([*analysis.trials, *rows.index]))
    out = []
    for trial in order:
        reason = _rule_reason(rows.loc[trial], analysis) if trial in rows.index else ""
        if not reason and analysis.trials and trial not in analysis.trials:
            reason = "not in the analysis's trial list"
        out.append((trial, reason))
    return out


def selected(analysis: Analysis, table: pd.DataFrame | None) -> Sequence[str]:
    """The trials an analysis considers (:func:`selection` without those left out)."""
    return [trial for trial, reason in selection(analysis, table) if not reason]
