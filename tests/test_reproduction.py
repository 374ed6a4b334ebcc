"""Reproducing a published pooled result on its trial set."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from hatmeta.reproduction import _reproduce, derive_trials


def analysis_table(unit: str) -> pd.DataFrame:
    rows = []
    for trial, (a, n1, c, n2) in {"T1": (10, 50, 5, 50), "T2": (20, 60, 12, 60)}.items():
        for role, events, total in (("treatment", a, n1), ("control", c, n2)):
            rows.append(
                {"trial": trial, "included": True, "role": role, "events": events,
                 "total": total, "measure": "m", "unit": unit}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_an_analysis_counting_events_does_not_block_one_counting_participants():
    outcome = SimpleNamespace(name="harm")
    analyses = {
        "as_events": SimpleNamespace(outcome=outcome),
        "as_people": SimpleNamespace(outcome=outcome),
    }
    tables = {"as_events": analysis_table("events"), "as_people": analysis_table("participants")}
    result = _reproduce(["T1", "T2"], "harm", tables, analyses)
    assert result["analysis"] == "as_people" and result["missing"] == ""
    only_events = _reproduce(["T1", "T2"], "harm", {"as_events": tables["as_events"]}, analyses)
    assert only_events == {"missing": "counts of events, not participants, for T1, T2"}


def test_a_trial_set_is_derived_only_when_one_set_adds_up():
    totals = {"A": 100, "B": 60, "C": 40, "D": 120}
    assert derive_trials(2, 220, totals) == (["A", "D"], "derived: 220 = 100 + 120")
    assert derive_trials(2, 160, totals)[1].startswith("ambiguous: 2 sets")
    assert derive_trials(3, 1000, totals)[1] == "not derivable: no 3 trials add up to 1000"
