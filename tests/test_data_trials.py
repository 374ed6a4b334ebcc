"""The trials table: reading and checking it, selecting trials by attribute, the study flow."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROOT, at

from hatmeta.config import Analysis, Comparison, Outcome, load_settings
from hatmeta.data.csvtext import ExtractionError
from hatmeta.data.flow import characteristics, flow_counts, flow_matrix, primary_analyses
from hatmeta.data.sheet import SHEET_COLUMNS, load_bibliography, load_sheet
from hatmeta.data.tables import analysis_table, build_tables, harmonise
from hatmeta.data.trials import TRIAL_COLUMNS, load_trials, selected

OUTCOMES = {"ok": Outcome("ok", "success", True, None)}
COMPARISON = Comparison("T", ("C",), "pharmacological vs. pharmacological", "T", "C")
STATUSES = ("reported", "derived", "secondary")
#: trial: (route, supervision, counts (treatment events, total, control events, total) or None)
TRIALS = {
    "A2000": ("injected", "supervised", (30, 50, 20, 50)),
    "B2001": ("inhaled", "supervised", (25, 40, 15, 40)),
    "C2002": ("injected", "take_home", (10, 30, 12, 30)),
    "D2003": ("oral", "supervised", (8, 20, 5, 20)),
    "E2004": ("injected", "supervised", None),  # no counts
    "F2005": ("injected", "supervised", (40, 60, 30, 60)),
}


def write_csv_rows(path, columns, rows) -> str:
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def review(tmp_path):
    """A constructed review: bibliography, sheet and trials table with the attributes above."""
    bib = write_csv_rows(tmp_path / "bib.csv", ["key", "citation", "kind", "note"], [
        ["S1", "A source.", "trial report", ""]
    ])  # fmt: skip
    sheet_rows, trial_rows = [], []
    for trial, (route, supervision, counts) in TRIALS.items():
        year = trial[1:]
        for arm, n in (("T", counts[1] if counts else 10), ("C", counts[3] if counts else 10)):
            sheet_rows.append({
                "trial": trial, "country": "X", "year": year, "arm": arm, "treatment": arm,
                "outcome": "randomised", "measure": "randomised", "definition": "randomised",
                "timepoint": "baseline", "population": "randomised", "total": n,
                "unit": "participants", "status": "reported", "percent_basis": "counts",
                "source": "S1", "location": "abstract",
            })  # fmt: skip
            events = None if counts is None else counts[0 if arm == "T" else 2]
            sheet_rows.append({
                **sheet_rows[-1], "outcome": "ok", "measure": "m", "definition": "success",
                "timepoint": "1 year", "events": events, "total": n if events is not None else None,
                "event_direction": "favourable",
                "status": "reported" if events is not None else "not_found",
            })  # fmt: skip
        trial_rows.append({
            "trial": trial, "country": "X", "years": year, "route": route,
            "supervision": supervision, "control": "C", "follow_up": "1 year",
            "primary_outcome": "success", "source": "S1", "location": "abstract",
        })  # fmt: skip
    sheet = pd.DataFrame(sheet_rows).reindex(columns=SHEET_COLUMNS)
    for column in ("events", "total"):
        sheet[column] = sheet[column].astype("Int64")
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    trials = write_csv_rows(tmp_path / "trials.csv", TRIAL_COLUMNS, [
        [row.get(c, "") for c in TRIAL_COLUMNS] for row in trial_rows
    ])  # fmt: skip
    bibliography = load_bibliography(bib)
    loaded = load_sheet(tmp_path / "sheet.csv", bibliography, OUTCOMES, 5)
    return {
        "harmonised": harmonise(loaded, OUTCOMES),
        "trials": load_trials(trials, bibliography, loaded["trial"]),
        "bibliography": bibliography,
        "sheet": loaded,
        "path": tmp_path,
    }


def analysis(trials=(), select=(), exclude=()) -> Analysis:
    return Analysis(
        "a", "A", OUTCOMES["ok"], ("m",), tuple(trials), "p", "", False,
        tuple((k, tuple(v)) for k, v in select), tuple((k, tuple(v)) for k, v in exclude),
    )  # fmt: skip


def run(review, spec: Analysis) -> pd.DataFrame:
    return analysis_table(review["harmonised"], spec, COMPARISON, STATUSES, review["trials"])


def matching(route=None, supervision=None) -> set[str]:
    return {
        t
        for t, (r, s, counts) in TRIALS.items()
        if (route is None or r in route) and (supervision is None or s in supervision)
    }


@pytest.mark.parametrize(
    ("route", "supervision"),
    [(["injected"], ["supervised"]), (["injected", "inhaled"], ["supervised"]),
     (None, ["take_home"]), (["oral"], None)],
)  # fmt: skip
def test_an_analysis_selecting_by_attribute_includes_exactly_the_matching_trials(
    review, route, supervision
):
    select = [(k, v) for k, v in (("route", route), ("supervision", supervision)) if v]
    table = run(review, analysis(select=select))
    with_counts = {t for t, (_, _, counts) in TRIALS.items() if counts}
    assert set(table.loc[table["included"], "trial"]) == matching(route, supervision) & with_counts
    # Every trial of the trials table is in the table; those not selected say why.
    assert list(dict.fromkeys(table["trial"])) == list(TRIALS)
    left = table[~table["included"]].set_index("trial")["reason"]
    for trial in set(TRIALS) - matching(route, supervision):
        r, s, _ = TRIALS[trial]
        expected = f"route {r}, not selected" if route and r not in route else (
            f"supervision {s}, not selected"
        )  # fmt: skip
        assert left[trial] == expected
    if "E2004" in matching(route, supervision):
        assert left["E2004"].startswith("no per-arm counts")


def test_exclude_and_a_trial_list_combine_with_select(review):
    spec = analysis(
        trials=["F2005", "A2000", "B2001", "C2002"],
        select=[("supervision", ["supervised"])],
        exclude=[("route", ["inhaled"])],
    )
    table = run(review, spec)
    # The listed trials first, in the list's order; kept: supervised, not inhaled, listed.
    assert list(table.loc[table["included"], "trial"].unique()) == ["F2005", "A2000"]
    reasons = table[~table["included"]].set_index("trial")["reason"].to_dict()
    assert reasons == {
        "B2001": "route inhaled, excluded",
        "C2002": "supervision take_home, not selected",
        "D2003": "not in the analysis's trial list",
        "E2004": "not in the analysis's trial list",
    }
    assert selected(spec, review["trials"]) == ["F2005", "A2000"]


def test_without_a_trials_table_an_analysis_lists_only_its_trials(review):
    spec = analysis(trials=["B2001", "A2000"])
    table = analysis_table(review["harmonised"], spec, COMPARISON, STATUSES, None)
    assert list(table["trial"].unique()) == ["B2001", "A2000"]


def test_the_trials_table_names_every_problem_with_its_line(review):
    path = review["path"] / "trials.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace("injected", "injected or inhaled").replace(",S1,", ",S9,")
    lines[2] = lines[2].replace("B2001", "Z1999")
    lines.append(lines[3])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ExtractionError) as caught:
        load_trials(path, review["bibliography"], review["sheet"]["trial"])
    text = str(caught.value)
    assert f"{path}, line 2 (A2000), column 'route': 'injected or inhaled' is not a code" in text
    assert f"{path}, line 2 (A2000), column 'source': source key 'S9'" in text
    assert f"{path}, line 3 (Z1999), column 'trial': this trial has no row in the" in text
    assert f"{path}, line 8 (C2002), column 'trial': duplicate of line 4" in text
    assert "trial B2001 of the extraction sheet has no row in the trials table" in text


def test_characteristics_take_arm_sizes_and_sources_from_the_sheet(review):
    audit = review["sheet"].assign(citation="")
    table = characteristics(review["trials"], audit, {"T": "treated"})
    row = table.set_index("trial").loc["A2000"]
    assert row["arms"] == "treated 50; C 50" and row["randomised"] == "100"
    assert row["route"] == "injected" and row["sources"] == "S1"


@pytest.fixture(scope="module")
def project():
    settings = at(ROOT, load_settings(ROOT / "config" / "config.yaml"))
    built = build_tables(settings.data.extraction, settings.data.bibliography, settings.extract)
    return settings, built


def test_flow_counts_equal_the_analysis_tables(project):
    settings, built = project
    main = settings.evidence.main
    tables = {name: built["analyses"][(main, name)] for name in settings.analyses}
    trials = list(built["trials"]["trial"])
    counts = flow_counts(
        trials, built["harmonised"], tables, settings.analyses, settings.comparison,
        settings.evidence.sets[main],
    ).set_index("stage")  # fmt: skip
    known = counts.loc["trials known", "n_trials"]
    assert known == len(trials) == len(set(built["sheet"]["trial"]))
    usable = set(counts.loc["with usable counts", "trials"].split("; "))
    for name in primary_analyses(settings.analyses):
        row = counts[counts["analysis"] == name].iloc[0]
        included = set(tables[name].loc[tables[name]["included"], "trial"])
        assert row["n_trials"] == len(included)
        assert set(filter(None, row["trials"].split("; "))) == included <= usable
    matrix = flow_matrix(tables, trials).set_index("trial")
    for name, table in tables.items():
        assert set(matrix.index[matrix[name] == "included"]) == set(
            table.loc[table["included"], "trial"]
        )
    # The new trials are named in every analysis, with a reason where they are not used.
    for trial in ("BE2015", "NL2003I", "EN1980"):
        assert (matrix.loc[trial] != "").all()
    assert matrix.loc["NL2003I", "retention"] == "route inhaled, not selected"
    assert matrix.loc["NL2003I", "retention_with_inhaled"] == "included"
    assert matrix.loc["EN1980", "retention"] == "supervision take_home, not selected"


def test_the_primary_analyses_include_exactly_the_supervised_injectable_trials_they_did(project):
    """Selecting by attribute leaves the existing analyses' included trials as they were."""
    _, built = project
    before = {
        "retention": ["DE2007", "CA2009", "EN2010"],
        "retention_all": ["ES2006", "DE2007", "CA2009", "EN2010"],
        "illicit_heroin": ["CH1998", "DE2007", "CA2009", "EN2010"],
        "mortality": ["CA2009"],
        "sae": ["DE2007", "CA2009"],
    }
    for name, trials in before.items():
        table = built["analyses"][("all", name)]
        assert list(table.loc[table["included"], "trial"].unique()) == trials, name
