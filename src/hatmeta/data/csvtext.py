"""Read a hand-edited CSV file as text cells, each record with its physical line in the file.

The extraction sheet and the bibliography are typed by people, often in a spreadsheet, and
saved in whatever format its locale prefers. This module refuses, with one message that names
the file (and the line and column where there is one) and says what to do, every file that is
not comma-separated UTF-8 text: an empty or binary file, a workbook, another encoding, another
field separator (with decimal commas, the mark of a decimal-comma locale), ragged rows, an
unbalanced quote, a trailing comma on every row. It reads with :mod:`csv` rather than pandas so
that a record's line is its physical line whatever blank lines or multi-line cells precede it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: A number written with a decimal comma, as a decimal-comma locale saves it.
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
#: Ragged rows listed one by one before the rest are counted.
MOST_LISTED = 10
SAVE_AS = "save it from the spreadsheet as 'CSV UTF-8 (comma delimited)'"


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong with one row (or the whole file, when ``line`` is None)."""

    path: str
    line: int | None
    key: str
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}, line {self.line}"
        if self.key:
            where += f" ({self.key})"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class ExtractionError(ValueError):
    """The extraction sheet or bibliography failed validation; lists every problem found."""

    def __init__(self, problems: Sequence[SheetProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the extraction data:\n{lines}")


def undefined_outcome(outcome: str, outcomes: Sequence[str]) -> str:
    """The message for an ``outcome`` cell that names no outcome of the config (the files of
    judgements and answers, where a blank cell means every outcome)."""
    return (
        f"outcome '{outcome}' is not defined in the config (defined: {', '.join(outcomes)}; "
        "leave it blank for every outcome)"
    )


def _refuse(path: Path, message: str, line: int | None = None, column: str | None = None):
    raise ExtractionError([SheetProblem(str(path), line, "", column, message)])


def _text(path: Path, what: str) -> str:
    """The file's text, or an error saying why it is not UTF-8 CSV text."""
    if not path.is_file():
        _refuse(path, f"{what} not found" + (" (it is a directory)" if path.is_dir() else ""))
    data = path.read_bytes()
    if not data.strip():
        _refuse(path, f"the {what} is empty: expected a header line and one row per figure")
    if data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        _refuse(path, f"this is a spreadsheet workbook, not a CSV file: {SAVE_AS}")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        _refuse(path, f"the file is UTF-16 text: {SAVE_AS}")
    if b"\x00" in data[:65536]:
        _refuse(path, f"this is a binary file, not CSV text: {SAVE_AS}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        start = data.rfind(b"\n", 0, err.start) + 1
        line = data.count(b"\n", 0, err.start) + 1
        column = len(data[start : err.start].decode("utf-8", errors="replace")) + 1
        _refuse(
            path,
            f"character {column} (byte 0x{data[err.start]:02x}) is not UTF-8: the file was "
            f"saved in another encoding (e.g. Latin-1 or Windows-1252); {SAVE_AS}",
            line=line,
        )


def _separator_problem(path: Path, text: str) -> None:
    """Refuse a file whose header (its first non-blank line) is one field holding semicolons or
    tabs."""
    lines = text.splitlines()
    line = next(i for i, content in enumerate(lines, start=1) if content.strip())
    header = lines[line - 1]
    if "," in header:
        return
    separator = next((s for s in (";", "\t") if s in header), None)
    if separator is None:
        return
    name = "semicolons" if separator == ";" else "tabs"
    cells = (cell for row in csv.reader(io.StringIO(text), delimiter=separator) for cell in row)
    example = next((cell for cell in cells if DECIMAL_COMMA.match(cell.strip())), None)
    if example is not None:
        _refuse(
            path,
            f"fields are separated by {name} and numbers use decimal commas (e.g. '{example}'): "
            "the sheet was saved from a spreadsheet in a decimal-comma locale. Save it as CSV "
            "with ',' between fields and '.' as the decimal mark",
            line=line,
        )
    _refuse(path, f"fields are separated by {name}, not commas: {SAVE_AS}", line=line)


def _records(path: Path, text: str) -> list[tuple[int, int, list[str]]]:
    """Every non-blank record, the header first, as ``(first line, last line, cells)``."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((start, reader.line_num, cells))
            start = reader.line_num + 1
    except csv.Error as err:
        _refuse(path, f"{err}: is a quote opened on this line and not closed?", line=start)
    if not records:
        _refuse(path, "the file is empty: expected a header line")
    return records


def _shape_problems(path: Path, header: list[str], rows) -> list[SheetProblem]:
    """Rows with more or fewer fields than the header, each at its physical line."""
    width = len(header)
    if rows and all(len(c) == width + 1 and not c[-1].strip() for _, _, c in rows):
        return [
            SheetProblem(
                str(path),
                rows[0][0],
                "",
                None,
                f"every row has one empty field more than the header's {width}: remove the "
                "trailing comma at the end of each row",
            )
        ]
    problems = []
    for first, last, cells in rows:
        if len(cells) == width:
            continue
        message = f"{len(cells)} fields where the header has {width}"
        if last > first:
            message += (
                f"; this record runs on to line {last}: a quote opened here is probably not closed"
            )
        else:
            message += " (an extra comma, or a text cell with a comma that is not in quotes?)"
        problems.append(SheetProblem(str(path), first, "", None, message))
    if len(problems) > MOST_LISTED:
        more = len(problems) - MOST_LISTED
        rest = SheetProblem(str(path), None, "", None, f"and {more} more rows of the wrong width")
        problems = [*problems[:MOST_LISTED], rest]
    return problems


def _header_problems(
    path: Path, line: int, header: list[str], columns: Sequence[str], optional: Sequence[str] = ()
) -> list[SheetProblem]:
    """Empty, unknown, repeated and missing column names of the header (on ``line``); a column
    in ``optional`` may be missing."""
    problems = []
    for position, name in enumerate(header, start=1):
        if not name:
            message, name = f"header field {position} is empty (a trailing comma?)", None
        elif name not in columns:
            message = f"unknown column (expected {', '.join(columns)})"
        elif header.index(name) != position - 1:
            message = "column appears twice"
        else:
            continue
        problems.append(SheetProblem(str(path), line, "", name, message))
    missing = "required column is missing from the header"
    return problems + [
        SheetProblem(str(path), line, "", c, missing)
        for c in columns
        if c not in header and c not in optional
    ]


def read_text_table(
    path: str | Path, columns: Sequence[str], what: str, optional: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a CSV file as stripped strings, indexed by each record's physical line.

    Parameters
    ----------
    path
        The file.
    columns
        The columns its header must have (in any order) and the only ones it may have.
    what
        What the file is, for messages ("extraction sheet").
    optional
        Those of ``columns`` the header may leave out (a column added to the format later, so
        that files written before it still read); a missing one is read as empty cells.

    Raises
    ------
    ExtractionError
        For a file that is not comma-separated UTF-8 text with exactly these columns, naming
        the file and, where there is one, the line and column, and what to do.
    """
    path = Path(path)
    text = _text(path, what)
    _separator_problem(path, text)
    (line, _, header), *rows = _records(path, text)
    header = [cell.strip() for cell in header]
    problems = _header_problems(path, line, header, columns, optional) or _shape_problems(
        path, header, rows
    )
    if problems:
        raise ExtractionError(problems)
    frame = pd.DataFrame(
        [[cell.strip() for cell in cells] for _, _, cells in rows],
        columns=header,
        index=pd.Index([first for first, _, _ in rows], name="line"),
        dtype=str,
    )
    for column in columns:
        if column not in frame.columns:
            frame[column] = ""
    return frame[list(columns)]
