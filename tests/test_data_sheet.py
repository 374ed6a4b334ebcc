"""Loading and validating the extraction sheet: good sheets load, bad ones say exactly why."""

from __future__ import annotations

import pytest
from conftest import BIBLIOGRAPHY, SHEET, write_rows

from hatmeta.data.sheet import (
    ExtractionError,
    derived_count,
    load_bibliography,
    load_sheet,
    percent_agrees,
)

OUTCOMES = [
    "retention",
    "illicit_heroin",
    "treatment_response",
    "health_response",
    "mortality",
    "sae",
]


@pytest.fixture
def bibliography():
    return load_bibliography(BIBLIOGRAPHY)


def load(path, bibliography):
    return load_sheet(path, bibliography, OUTCOMES, imputation_tolerance=5)


def find(rows, **match):
    """Index of the single row matching every given column value."""
    hits = [i for i, row in enumerate(rows) if all(row[k] == v for k, v in match.items())]
    assert len(hits) == 1, f"expected one row matching {match}, found {len(hits)}"
    return hits[0]


def problems_of(path, bibliography):
    with pytest.raises(ExtractionError) as caught:
        load(path, bibliography)
    return caught.value.problems


def test_project_sheet_loads_every_trial_and_arm(bibliography):
    sheet = load(SHEET, bibliography)
    assert set(sheet["trial"]) == {
        *("CH1998", "NL2003", "ES2006", "DE2007", "CA2009", "EN2010"),
        *("BE2015", "NL2003I", "EN1980", "CA2016"),
    }
    riott_arms = set(sheet.loc[sheet["trial"] == "EN2010", "arm"])
    assert riott_arms == {"SIH", "SIM", "OMMT"}
    assert set(sheet.loc[sheet["trial"] == "CA2009", "arm"]) == {"SIH", "OMMT", "HDM", "ALL"}
    # each arm is one node; the heroin arms of other routes and settings are nodes of their own
    nodes = sheet[sheet["arm"] != "ALL"].groupby(["trial", "arm"])["node"].unique()
    assert (nodes.map(len) == 1).all()
    nodes = nodes.map(lambda n: n[0])
    assert nodes[("NL2003I", "SIH")] == "INH"
    assert nodes[("BE2015", "SIH")] == "MIX"
    assert nodes[("EN1980", "SIH")] == "THI"
    assert nodes[("CA2016", "HDM")] == nodes[("CA2009", "HDM")] == "HDM"
    assert {nodes[(t, "SIH")] for t in ("CH1998", "NL2003", "DE2007", "CA2009", "CA2016")} == {
        "SIH"
    }
    assert (sheet.loc[sheet["arm"] == "ALL", "node"] == "").all()
    # line numbers point at the file: header is line 1
    assert sheet["line"].iloc[0] == 2


def test_not_found_figures_stay_missing(bibliography):
    sheet = load(SHEET, bibliography)
    missing = sheet[sheet["status"] == "not_found"]
    assert len(missing) > 10
    assert missing["events"].isna().all()


def test_derived_counts_reproduce_from_the_row(bibliography):
    sheet = load(SHEET, bibliography)
    derived = sheet[sheet["status"] == "derived"]
    assert len(derived) >= 8
    for row in derived.itertuples():
        assert row.events == derived_count(row.percent_text, row.total)


@pytest.mark.parametrize(
    ("percent", "events", "total", "agrees"),
    [
        ("67.2", 346, 515, True),
        ("40.0", 200, 500, True),
        ("27", 11, 42, False),
        ("26", 11, 42, True),
        ("88", 38, 43, True),
        ("67.3", 346, 515, False),
    ],
)
def test_percent_agreement_uses_published_precision(percent, events, total, agrees):
    assert percent_agrees(percent, events, total) is agrees


def test_missing_column_names_the_column(tmp_path, sheet_rows, bibliography):
    rows = [{k: v for k, v in row.items() if k != "source"} for row in sheet_rows]
    problems = problems_of(write_rows(tmp_path / "sheet.csv", rows), bibliography)
    assert [(p.line, p.column) for p in problems] == [(1, "source")]
    assert "required column is missing" in str(problems[0])


def test_negative_count_names_file_line_and_column(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="CH1998", arm="SIH", measure="completed_treatment")
    sheet_rows[i]["events"] = "-3"
    path = write_rows(tmp_path / "sheet.csv", sheet_rows)
    with pytest.raises(ExtractionError) as caught:
        load(path, bibliography)
    message = str(caught.value)
    assert (
        f"{path}, line {i + 2} (CH1998/SIH/retention/completed_treatment), column 'events'"
        in message
    )
    assert "non-negative" in message


def test_events_above_total(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="EN2010", arm="SIH", measure="retained_26w")
    sheet_rows[i].update(events="50", percent_reported="")
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    assert [(p.line, p.column) for p in problems] == [(i + 2, "events")]
    assert "events 50 exceed total 43" in problems[0].message


def test_unknown_source_key(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="DE2007", arm="OMMT", measure="retained_12m")
    sheet_rows[i]["source"] = "HAA08"
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    assert [(p.line, p.column) for p in problems] == [(i + 2, "source")]
    assert "'HAA08' is not in the bibliography" in problems[0].message


def test_percentage_contradicting_counts(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="EN2010", arm="OMMT", measure="retained_26w")
    sheet_rows[i]["percent_reported"] = "75"
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    assert [(p.line, p.column) for p in problems] == [(i + 2, "percent_reported")]
    assert "75% contradicts 29/42 = 69.0%" in problems[0].message


def test_derived_count_typed_wrong(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="CA2009", arm="SIH", measure="retained_12m")
    sheet_rows[i]["events"] = "100"
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    messages = [p.message for p in problems if p.line == i + 2]
    assert any("round(87.8% x 115) = 101, got 100" in m for m in messages)


def test_duplicate_row_points_at_the_first(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="DE2007", arm="SIH", measure="retained_12m")
    rows = [*sheet_rows, dict(sheet_rows[i])]
    problems = problems_of(write_rows(tmp_path / "s.csv", rows), bibliography)
    assert [p.line for p in problems] == [len(rows) + 1]
    assert f"duplicate of line {i + 2}" in problems[0].message


def test_every_problem_is_reported_at_once(tmp_path, sheet_rows, bibliography):
    sheet_rows[3]["status"] = "rumoured"
    sheet_rows[5]["total"] = "twelve"
    sheet_rows[7]["outcome"] = "happiness"
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    flagged = {(p.line, p.column) for p in problems}
    assert {(5, "status"), (7, "total"), (9, "outcome")} <= flagged


def test_arm_size_conflict_across_outcomes(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="DE2007", arm="SIH", measure="related_sae")
    sheet_rows[i]["total"] = "512"
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    assert [(p.line, p.column) for p in problems] == [(i + 2, "total")]
    assert "differs from the 515 randomised" in problems[0].message


def test_not_found_row_must_not_carry_a_number(tmp_path, sheet_rows, bibliography):
    i = find(sheet_rows, trial="EN2010", arm="SIH", measure="deaths")
    sheet_rows[i]["events"] = "2"
    problems = problems_of(write_rows(tmp_path / "s.csv", sheet_rows), bibliography)
    assert [(p.line, p.column) for p in problems] == [(i + 2, "status")]


def test_empty_sheet_and_missing_file(tmp_path, bibliography):
    (tmp_path / "empty.csv").write_text(SHEET.read_text().splitlines()[0] + "\n")
    with pytest.raises(ExtractionError, match="the sheet has no rows"):
        load(tmp_path / "empty.csv", bibliography)
    with pytest.raises(ExtractionError, match="extraction sheet not found"):
        load(tmp_path / "nope.csv", bibliography)


def test_bibliography_duplicate_key(tmp_path):
    text = BIBLIOGRAPHY.read_text()
    path = tmp_path / "bib.csv"
    path.write_text(text + text.splitlines()[1] + "\n")
    with pytest.raises(ExtractionError, match=r"PER98.*duplicate source key"):
        load_bibliography(path)
