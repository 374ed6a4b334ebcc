"""An analysis table read back from the file the extract stage wrote, with its dtypes.

Every stage reads the analysis tables, most of them all 18. Through the pandera schema
(:func:`analysis_table_schema`) that cost each job about a second: half to import pandera, half
to validate. A table as the extract stage writes it plainly meets the schema (its columns in
order, text read as text, counts whole and non-negative, roles known), and for such a table the
schema's coercion is one ``astype("Int64")`` per count column; :func:`read_analysis_table` does
that itself. Anything else (a hand-edited file, an empty text column read as numbers) goes
through the schema, which coerces what it can and names what it cannot. Tests check that both
ways give the same frame, dtypes and element types included.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

#: The columns in order and what each holds: ``key`` (text, never empty), ``text``, ``count``
#: (whole, non-negative, may be empty), ``flag`` (boolean) and ``role``.
COLUMNS = {
    "trial": "key",
    "country": "text",
    "year": "count",
    "included": "flag",
    "role": "role",
    "arm": "text",
    "measure": "text",
    "definition": "text",
    "timepoint": "text",
    "events": "count",
    "total": "count",
    "unit": "text",
    "status": "text",
    "source": "text",
    "location": "text",
    "line": "count",
    "reason": "text",
}
ROLES = ("treatment", "control")


@cache
def analysis_table_schema():
    """An analysis table as the extract stage writes it; reading through it restores the
    dtypes. Built on first use: pandera costs half a second to import."""
    import pandera.pandas as pa

    kinds = {
        "key": pa.Column(str, coerce=True),
        "text": pa.Column(str, nullable=True, coerce=True),
        "count": pa.Column("Int64", pa.Check.ge(0), nullable=True, coerce=True),
        "flag": pa.Column(bool, coerce=True),
        "role": pa.Column(str, pa.Check.isin(list(ROLES)), nullable=True, coerce=True),
    }
    return pa.DataFrameSchema(
        {name: kinds[kind] for name, kind in COLUMNS.items()}, strict=True, ordered=True
    )


def read_analysis_table(path) -> pd.DataFrame:
    """Read an analysis table written by the extract stage, with its dtypes restored."""
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    typed = plainly_typed(table)
    return typed if typed is not None else analysis_table_schema().validate(table)


def plainly_typed(table: pd.DataFrame) -> pd.DataFrame | None:
    """``table`` with the schema's dtypes if it plainly meets the schema (module docstring),
    else None."""
    if list(table.columns) != list(COLUMNS):
        return None
    counts = {}
    for name, kind in COLUMNS.items():
        column = table[name]
        if kind == "count":
            values = column.dropna()
            if column.dtype.kind not in "iuf" or (values < 0).any() or (values % 1 != 0).any():
                return None
            counts[name] = column.astype("Int64")
        elif not _plain(column, kind):
            return None
    return table.assign(**counts)


def _plain(column: pd.Series, kind: str) -> bool:
    """Whether a column of a kind other than ``count`` meets the schema as it was read."""
    if kind == "flag":
        return column.dtype == bool
    if not isinstance(column.dtype, pd.StringDtype):
        return False
    if kind == "key":
        return not column.isna().any()
    return kind != "role" or column.dropna().isin(ROLES).all()
