"""The report's number formatting: p-values (one function for all) and fitted table widths."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hatmeta.display import DASH, P_FLOOR, fmt_p, p_text
from hatmeta.report.format import TEXT_CAP, column_widths
from hatmeta.report.sections import classical_rows, loo_rows

#: A p-value in exponent form, as Python's "g" format writes small numbers ("7e-11").
EXPONENT = re.compile(r"\d(\.\d+)?e[-+]?\d+", re.IGNORECASE)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (7e-11, "< 0.001"),
        (1.2e-15, "< 0.001"),
        (0.0, "< 0.001"),
        (0.000999, "< 0.001"),
        (P_FLOOR, "0.001"),
        (0.0123, "0.012"),
        (0.42, "0.420"),
        (1.0, "1.000"),
        (None, DASH),
        (float("nan"), DASH),
    ],
)
def test_a_p_value_below_the_floor_is_said_as_a_bound(value, shown):
    assert fmt_p(value) == shown
    assert not EXPONENT.search(fmt_p(value))


def test_a_p_value_in_a_sentence():
    assert p_text(3e-7) == "p < 0.001"
    assert p_text(0.0456) == "p = 0.046"


def test_heterogeneity_and_conflict_p_values_go_through_one_function():
    classical = pd.DataFrame(
        [
            {
                "section": "pooled",
                "method": method,
                "measure": "OR",
                "estimate": 3.1,
                "lower": 1.5,
                "upper": 6.2,
                "Q": 71.2,
                "df": 4,
                "p_Q": p,
                "I2": 0.9,
                "tau2": 0.8,
                "n_trials": 5,
            }
            for method, p in (("DL random", 7e-11), ("REML random", 0.2346))
        ]
    )
    rows = classical_rows(classical, absolute=False)
    assert [r["q"] for r in rows] == ["71.2 (4 df, p < 0.001)", "71.2 (4 df, p = 0.235)"]
    loo = pd.DataFrame(
        {
            "left_out": ["A", "B"],
            "OR_median": [2.0, 2.1],
            "OR_lower": [1.0, 1.1],
            "OR_upper": [4.0, 4.1],
            "conflict_p": [1.2e-15, 0.5],
        }
    )
    assert [r["conflict_p"] for r in loo_rows(loo)] == ["< 0.001", "0.500"]


def test_column_widths_keep_short_columns_whole_and_share_the_rest():
    header = ["Trial", "Years", "Note"]
    long_note = "a long note " * 20
    rows = [["CH1998", "1998", long_note], ["NL2003I", "2003", "short"]]
    widths = column_widths(header, rows)
    assert sum(widths) == pytest.approx(100, abs=0.05)
    trial, years, note = widths
    # the note wraps (its share is capped), the short columns are not squeezed to nothing
    assert note > trial > years > 10
    capped = column_widths(header, [["CH1998", "1998", "x " * TEXT_CAP], *rows[1:]])
    assert capped == column_widths(header, [["CH1998", "1998", "x " * (5 * TEXT_CAP)], *rows[1:]])
