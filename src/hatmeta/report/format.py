"""Number formatting for the report: one place, so the tables and the text agree."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hatmeta.display import DASH


def missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: Ratios beyond these limits are shown as "<0.001" and ">1000": their digits carry nothing a
#: reader can use, and the report says in words which probability reached a boundary.
RATIO_FLOOR, RATIO_CEILING = 1e-3, 1e3


def fmt_ratio(value: Any) -> str:
    """A ratio with two decimals below 10 and three significant figures above ('-' if absent),
    "<0.001" and ">1000" beyond :data:`RATIO_FLOOR` and :data:`RATIO_CEILING`."""
    if missing(value):
        return DASH
    value = float(value)
    if value < RATIO_FLOOR:
        return f"<{RATIO_FLOOR:g}"
    if value > RATIO_CEILING:
        return f">{RATIO_CEILING:g}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value < 0.01:
        return f"{value:.3f}"
    return f"{value:.2f}"


def fmt_interval(lower: Any, upper: Any, fmt=fmt_ratio) -> str:
    return f"{fmt(lower)} to {fmt(upper)}"


def fmt_prob(value: Any) -> str:
    """A probability as a percentage; extreme values as '>99%' / '<1%'."""
    if missing(value):
        return DASH
    pct = 100 * float(value)
    if pct > 99.5 and pct < 100:
        return ">99%"
    if 0 < pct < 0.5:
        return "<1%"
    return f"{pct:.0f}%"


def fmt_rd(value: Any) -> str:
    """A risk difference in percentage points, signed."""
    if missing(value):
        return DASH
    return f"{100 * float(value):+.1f}"


def fmt_number(value: Any, digits: int = 3) -> str:
    if isinstance(value, str):
        return value
    if missing(value):
        return DASH
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def table(frame: pd.DataFrame, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A frame as header + formatted cells (probabilities as %, odds and risk ratios by
    :func:`fmt_ratio`, other numbers 3 s.f.)."""
    headers = headers or {}
    columns = list(frame.columns)
    rows = []
    for record in records(frame):
        cells = []
        for column in columns:
            value = record[column]
            if isinstance(value, str) or value is None:
                cells.append(value if value is not None else DASH)
            elif re.search(r"(^|_)p_|^P\(", column):
                cells.append(fmt_prob(value))
            elif re.search(r"(^|_)(or|rr)(_|$)", column, re.IGNORECASE):
                cells.append(fmt_ratio(value))
            else:
                cells.append(fmt_number(value))
        rows.append(cells)
    return {"header": [headers.get(c, c) for c in columns], "rows": rows}


#: Column widths of a fitted table, in characters: a column gets its longest word (up to
#: ``WORD_CAP``) and the cell padding, then a sixth of the rest of its longest text (up to
#: ``TEXT_CAP``), so that short columns keep their words whole and long texts wrap.
WORD_CAP, TEXT_CAP, PADDING = 16, 60, 3


def column_widths(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[float]:
    """Widths (percentages summing to 100) for a table laid out to fit the text column.

    A column's weight is its longest word (capped at :data:`WORD_CAP` characters) plus
    :data:`PADDING`, plus a sixth of what its longest text (header or cell, capped at
    :data:`TEXT_CAP`) has beyond that word: words stay whole where the column allows it, and
    long texts wrap.

    Parameters
    ----------
    header
        The column headers.
    rows
        The rows' cells, as displayed.

    Returns
    -------
    list of float
        One width per column, in percent of the table's width.
    """
    weights = []
    for i, name in enumerate(header):
        texts = [str(name), *(str(row[i]) for row in rows if i < len(row))]
        word = min(max((len(w) for t in texts for w in t.split()), default=1), WORD_CAP)
        longest = min(max(len(t) for t in texts), TEXT_CAP)
        weights.append(word + PADDING + max(longest - word, 0) / 6)
    total = sum(weights)
    return [round(100 * w / total, 2) for w in weights]
