"""Load, validate and harmonise the trial extraction sheet.

The sheet (``data/raw/extraction.csv``) is the only hand-entered data. It holds one row per
trial x arm x outcome x measure x time point x source, each figure with its status and source.
This module turns it into tidy analysis tables, and refuses a sheet it cannot trust: every
problem is reported with the file, the line, the row's key and the column, all at once, so a
user fixes the sheet in one pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hatmeta.data.csvtext import DECIMAL_COMMA, ExtractionError, SheetProblem, read_text_table

if TYPE_CHECKING:
    import pandera.pandas as pa

SHEET_COLUMNS = (
    "trial",
    "country",
    "year",
    "arm",
    "node",
    "treatment",
    "outcome",
    "measure",
    "definition",
    "timepoint",
    "population",
    "events",
    "total",
    "percent_reported",
    "event_direction",
    "unit",
    "status",
    "percent_basis",
    "source",
    "location",
    "note",
)
#: Columns a sheet may leave out: ``node`` came later, and without it each arm is its own node.
OPTIONAL_COLUMNS = ("node",)
BIBLIOGRAPHY_COLUMNS = ("key", "citation", "kind", "note")

STATUSES = ("reported", "derived", "secondary", "assumed", "not_found")
#: Statuses that carry a figure; ``not_found`` rows document a gap and must carry none.
FIGURE_STATUSES = ("reported", "derived", "secondary", "assumed")
RANDOMISED = "randomised"
#: A trial-level row (both arms together), e.g. a total when the split was not published.
ALL_ARMS = "ALL"

_ROW_KEY = ("trial", "arm", "outcome", "measure", "timepoint", "source")
#: A node is a code, written as config names are.
NODE_CODE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _line(index) -> int:
    """The physical line of a row: rows are indexed by it (:func:`read_text_table`)."""
    return int(index)


def _row_key(row: Mapping) -> str:
    return "/".join(str(row.get(c, "")) for c in ("trial", "arm", "outcome", "measure"))


def load_bibliography(path: str | Path) -> pd.DataFrame:
    """Read the bibliography; keys must be present and unique."""
    path = Path(path)
    bib = read_text_table(path, BIBLIOGRAPHY_COLUMNS, "bibliography")
    problems = []
    for index, row in bib.iterrows():
        if not row["key"]:
            problems.append(SheetProblem(str(path), _line(index), "", "key", "empty source key"))
        if not row["citation"]:
            problems.append(
                SheetProblem(str(path), _line(index), row["key"], "citation", "empty citation")
            )
    for key in bib.loc[bib["key"].duplicated(), "key"]:
        problems.append(SheetProblem(str(path), None, key, "key", "duplicate source key"))
    if problems:
        raise ExtractionError(problems)
    return bib


def _column_schema(outcomes: Iterable[str]) -> pa.DataFrameSchema:
    """Column-level rules; cross-column and cross-row rules live in :func:`_row_problems`."""
    # Imported here: pandera costs half a second, and most jobs import this module only for its
    # constants and the bibliography.
    import pandera.pandas as pa

    text = pa.Column(str, pa.Check.str_length(min_value=1))
    optional_count = pa.Column(
        "Int64", pa.Check.ge(0, error="must be a non-negative whole number"), nullable=True
    )
    return pa.DataFrameSchema(
        {
            "trial": text,
            "country": pa.Column(str),  # optional: a trial's label falls back to its key
            "year": pa.Column("Int64", pa.Check.in_range(1900, 2100)),
            "arm": text,
            "node": pa.Column(str),  # checked with the other rows of its arm (_node_problems)
            "treatment": text,
            "outcome": pa.Column(
                str, pa.Check.isin([RANDOMISED, *outcomes], error="outcome not defined in config")
            ),
            "measure": text,
            "definition": text,
            "timepoint": text,
            "population": pa.Column(str, pa.Check.isin(["randomised", "analysed"])),
            "events": optional_count,
            "total": pa.Column(
                "Int64", pa.Check.gt(0, error="must be a positive whole number"), nullable=True
            ),
            "percent_reported": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
            "event_direction": pa.Column(str, pa.Check.isin(["", "favourable", "unfavourable"])),
            "unit": pa.Column(str, pa.Check.isin(["participants", "events"])),
            "status": pa.Column(str, pa.Check.isin(STATUSES)),
            "percent_basis": pa.Column(str, pa.Check.isin(["counts", "imputation"])),
            "source": text,
            "location": text,
            "note": pa.Column(str),
        },
        strict=True,
        ordered=False,
    )


def _not_a_number(text: str, whole: bool) -> str:
    """Why a cell is not a number, and how to write it."""
    if DECIMAL_COMMA.match(text):
        return f"'{text}' has a decimal comma: write {text.replace(',', '.')}"
    if text.endswith("%") and text[:-1].strip():
        return f"'{text}': write the number without the percent sign ({text[:-1].strip()})"
    return f"'{text}' is not a " + ("whole number" if whole else "number")


def _to_typed(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[SheetProblem]]:
    """Convert the string columns to numbers, reporting every cell that is not a number."""
    typed = raw.copy()
    problems: list[SheetProblem] = []
    numeric = {"year": "Int64", "events": "Int64", "total": "Int64", "percent_reported": "float"}
    for column, dtype in numeric.items():
        values = typed[column].replace("", None)
        converted = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & converted.isna()
        if dtype == "Int64":
            fractional = converted.notna() & (converted % 1 != 0)
            bad |= fractional
        for index in typed.index[bad]:
            problems.append(
                SheetProblem(
                    str(path),
                    _line(index),
                    _row_key(raw.loc[index]),
                    column,
                    _not_a_number(raw.at[index, column], dtype == "Int64"),
                )
            )
        converted[bad] = None
        typed[column] = converted.astype(dtype)
    return typed, problems


def _schema_problems(
    typed: pd.DataFrame, raw: pd.DataFrame, path: Path, outcomes: Iterable[str]
) -> list[SheetProblem]:
    import pandera.pandas as pa

    try:
        _column_schema(outcomes).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems = []
        for case in err.failure_cases.itertuples():
            index = case.index
            line = None if pd.isna(index) else _line(index)
            key = "" if line is None else _row_key(raw.loc[index])
            message = f"{case.check}: got '{case.failure_case}'"
            problems.append(SheetProblem(str(path), line, key, case.column, message))
        return problems
    return []


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def percent_agrees(percent_text: str, events: int, total: int) -> bool:
    """Whether a published percentage equals events/total at the precision it was published."""
    decimals = _decimals(percent_text)
    half_unit = 0.5 * 10.0 ** (-decimals)
    return abs(100.0 * events / total - float(percent_text)) <= half_unit + 1e-9


def derived_count(percent_text: str, total: int) -> int:
    """The count a derived row must carry: percentage x total, rounded half up."""
    return math.floor(float(percent_text) * total / 100.0 + 0.5)


def _row_problems(
    typed: pd.DataFrame,
    raw: pd.DataFrame,
    path: Path,
    source_keys: set[str],
    imputation_tolerance: float,
) -> list[SheetProblem]:
    problems: list[SheetProblem] = []

    def add(index, column, message):
        problems.append(
            SheetProblem(str(path), _line(index), _row_key(raw.loc[index]), column, message)
        )

    for index, row in typed.iterrows():
        events, total, status = row["events"], row["total"], row["status"]
        # A percentage that is not a number was reported by _to_typed; checks below skip it.
        percent_text = raw.at[index, "percent_reported"]
        has_percent = pd.notna(row["percent_reported"])
        has_events, has_total = pd.notna(events), pd.notna(total)
        if row["source"] and row["source"] not in source_keys:
            add(index, "source", f"source key '{row['source']}' is not in the bibliography")
        if has_events and has_total and events > total:
            add(index, "events", f"events {events} exceed total {total}")
        if status == "not_found":
            if has_events or percent_text:
                add(index, "status", "a 'not_found' row must not carry events or a percentage")
            continue
        if row["outcome"] == RANDOMISED:
            if not has_total:
                add(index, "total", f"a '{RANDOMISED}' row with status '{status}' needs a total")
            continue
        if not row["event_direction"]:
            add(index, "event_direction", "say whether events count favourable or unfavourable")
        if not (has_events or percent_text):
            add(index, "events", f"status '{status}' but neither events nor a percentage given")
        if status == "derived":
            if not (has_percent and has_total):
                if not (percent_text and not has_percent):  # a bad percentage is reported once
                    add(index, "status", "a 'derived' count needs the percentage and the total")
            elif total > 0 and (not has_events or events != derived_count(percent_text, total)):
                expected = derived_count(percent_text, total)
                add(
                    index,
                    "events",
                    f"derived count should be round({percent_text}% x {total}) = {expected}, "
                    f"got {events if has_events else 'nothing'}",
                )
        if not (has_percent and has_events and has_total and total > 0):
            continue  # a total of 0 is reported by the column checks
        if row["percent_basis"] == "counts" and not percent_agrees(percent_text, events, total):
            add(
                index,
                "percent_reported",
                f"{percent_text}% contradicts {events}/{total} = "
                f"{100 * events / total:.1f}% (if the percentage came from a model, "
                "set percent_basis to 'imputation' and explain in the note)",
            )
        gap = abs(row["percent_reported"] - 100 * events / total)
        if row["percent_basis"] == "imputation" and gap > imputation_tolerance:
            add(
                index,
                "percent_reported",
                f"{percent_text}% from imputation is {gap:.1f} percentage points from its counts "
                f"{events}/{total} = {100 * events / total:.1f}% (tolerance "
                f"{imputation_tolerance:g}, checks/imputation_tolerance in the config): check "
                "both figures against the source",
            )
    return problems


def _cross_row_problems(typed: pd.DataFrame, raw: pd.DataFrame, path: Path) -> list[SheetProblem]:
    problems: list[SheetProblem] = []
    duplicated = typed.duplicated(subset=list(_ROW_KEY), keep="first")
    for index in typed.index[duplicated]:
        first = typed.index[
            (typed[list(_ROW_KEY)] == typed.loc[index, list(_ROW_KEY)]).all(axis=1)
        ][0]
        problems.append(
            SheetProblem(
                str(path),
                _line(index),
                _row_key(raw.loc[index]),
                None,
                f"duplicate of line {_line(first)} (same {', '.join(_ROW_KEY)})",
            )
        )
    for trial, rows in typed.groupby("trial", sort=False):
        for column in ("country", "year"):
            values = rows[column].dropna().unique()
            if len(values) > 1:
                problems.append(
                    SheetProblem(
                        str(path),
                        _line(rows.index[0]),
                        trial,
                        column,
                        f"trial {trial} has conflicting values {sorted(map(str, values))}",
                    )
                )
    randomised = typed[(typed["outcome"] == RANDOMISED) & typed["total"].notna()]
    arm_size = {(r.trial, r.arm): int(r.total) for r in randomised.itertuples()}
    for index, row in typed[typed["total"].notna() & (typed["outcome"] != RANDOMISED)].iterrows():
        size = arm_size.get((row["trial"], row["arm"]))
        if size is None:
            continue
        total = int(row["total"])
        if row["population"] == "randomised" and total != size:
            problems.append(
                SheetProblem(
                    str(path),
                    _line(index),
                    _row_key(raw.loc[index]),
                    "total",
                    f"total {total} differs from the {size} randomised to this arm "
                    "(use population 'analysed' if fewer were analysed)",
                )
            )
        elif row["population"] == "analysed" and total > size:
            problems.append(
                SheetProblem(
                    str(path),
                    _line(index),
                    _row_key(raw.loc[index]),
                    "total",
                    f"{total} analysed exceeds the {size} randomised to this arm",
                )
            )
    for trial, rows in randomised.groupby("trial"):
        whole = rows.loc[rows["arm"] == ALL_ARMS, "total"]
        arms = rows.loc[rows["arm"] != ALL_ARMS, "total"]
        if len(whole) and len(arms) >= 2 and int(arms.sum()) != int(whole.iloc[0]):
            problems.append(
                SheetProblem(
                    str(path),
                    _line(whole.index[0]),
                    f"{trial}/{ALL_ARMS}",
                    "total",
                    f"arm sizes add up to {int(arms.sum())}, not {int(whole.iloc[0])}",
                )
            )
    return problems


def _node_problems(
    raw: pd.DataFrame, path: Path, defined: Sequence[str]
) -> tuple[pd.Series, list[SheetProblem]]:
    """Each row's node (an empty cell is the arm's own code; none for an ``ALL`` row) and what
    is wrong with it: not a code, not one of the ``defined`` nodes (when any are), another node
    than the arm's first row gives, or the node of another arm of the trial."""
    problems: list[SheetProblem] = []

    def add(index, message):
        problems.append(
            SheetProblem(str(path), _line(index), _row_key(raw.loc[index]), "node", message)
        )

    nodes = raw["node"].where((raw["node"] != "") | (raw["arm"] == ALL_ARMS), raw["arm"])
    arm_node: dict[tuple[str, str], tuple[str, int]] = {}
    node_arm: dict[tuple[str, str], str] = {}
    for index, trial, arm, node in zip(raw.index, raw["trial"], raw["arm"], nodes, strict=True):
        if arm == ALL_ARMS:
            if node:
                add(index, f"a row of all arms together ({ALL_ARMS}) has no node: leave it empty")
            continue
        if raw.at[index, "node"] and not NODE_CODE.match(node):
            add(index, f"'{node}' is not a code: use letters, digits, _, - and .")
        elif defined and node not in defined:
            add(
                index,
                f"node '{node}' is not among treatments/labels in the config "
                f"(defined: {', '.join(defined)})",
            )
        first = arm_node.setdefault((trial, arm), (node, _line(index)))
        other = node_arm.setdefault((trial, node), arm)
        if first[0] != node:
            add(
                index,
                f"arm {arm} of {trial} is node '{first[0]}' on line {first[1]}: an arm is "
                f"one node (an empty cell is the arm's code, {arm})",
            )
        elif other != arm:
            add(
                index,
                f"node '{node}' is already arm {other} of {trial}: two arms of a trial "
                "are two nodes (combine the arms' counts into one arm if they are one treatment)",
            )
    return nodes, problems


def load_sheet(
    path: str | Path,
    bibliography: pd.DataFrame,
    outcomes: Iterable[str],
    imputation_tolerance: float,
    nodes: Sequence[str] = (),
) -> pd.DataFrame:
    """Load and validate the extraction sheet.

    Parameters
    ----------
    path
        The extraction sheet (CSV, columns :data:`SHEET_COLUMNS`).
    bibliography
        Output of :func:`load_bibliography`; every row's source must be one of its keys.
    outcomes
        Outcome names defined in the config; any other outcome (except ``randomised``) is an error.
    imputation_tolerance
        Percentage points a percentage from multiple imputation (``percent_basis`` imputation)
        may differ from its complete-case counts before the row is refused.
    nodes
        The treatments (network nodes) an arm may be (config ``treatments/labels``); empty:
        any code. The ``node`` column may be left out of the sheet.

    Returns
    -------
    pandas.DataFrame
        The typed sheet, with a ``line`` column giving each row's line in the file, and each
        arm's node in ``node`` (the arm's code where the cell is empty; empty for ``ALL``).

    Raises
    ------
    ExtractionError
        Listing every problem: file, line, row key, column and what is wrong.
    """
    path = Path(path)
    outcomes = list(outcomes)
    raw = read_text_table(path, SHEET_COLUMNS, "extraction sheet", OPTIONAL_COLUMNS)
    if raw.empty:
        raise ExtractionError([SheetProblem(str(path), None, "", None, "the sheet has no rows")])
    typed, problems = _to_typed(raw, path)
    problems += _schema_problems(typed, raw, path, outcomes)
    problems += _row_problems(typed, raw, path, set(bibliography["key"]), imputation_tolerance)
    problems += _cross_row_problems(typed, raw, path)
    typed["node"], node_problems = _node_problems(raw, path, list(nodes))
    problems += node_problems
    if problems:
        raise ExtractionError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    typed["percent_text"] = raw["percent_reported"]
    typed.insert(0, "line", [_line(i) for i in typed.index])
    return typed.reset_index(drop=True)
