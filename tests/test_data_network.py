"""Treatment nodes in the sheet and the arm tables a network analysis takes.

The sheet's ``node`` column says which treatment each arm is; a network keeps every arm with
counts, one measure per trial, and its geometry names the pieces of a network in pieces.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import BIBLIOGRAPHY, write_rows

from hatmeta.config import Analysis, Outcome
from hatmeta.data.network import geometry, network_arms, network_table
from hatmeta.data.sheet import ExtractionError, load_bibliography, load_sheet
from hatmeta.data.tables import analysis_table, build_tables, harmonise, included_arms

OUTCOMES = ["retention", "illicit_heroin", "treatment_response", "health_response"]
OUTCOMES += ["mortality", "sae"]


@pytest.fixture(scope="module")
def built(project_settings):
    s = project_settings
    return build_tables(s.data.extraction, s.data.bibliography, s.extract)


def _network(settings, built, name, evidence="all", **changes):
    analysis = settings.analyses[name]._replace(**changes)
    statuses = settings.evidence.sets[evidence]
    return network_table(built["harmonised"], analysis, statuses, built["trials"])


# -------------------------------------------------------------------------------------------
# Nodes in the sheet
# -------------------------------------------------------------------------------------------


def _problems(tmp_path, rows, nodes=()):
    path = write_rows(tmp_path / "sheet.csv", rows)
    with pytest.raises(ExtractionError) as caught:
        load_sheet(path, load_bibliography(BIBLIOGRAPHY), OUTCOMES, 5, nodes)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def _row(rows, **match):
    hits = [i for i, row in enumerate(rows) if all(row[k] == v for k, v in match.items())]
    assert len(hits) == 1, match
    return hits[0]


def test_a_sheet_without_node_column_makes_each_arm_its_node(tmp_path, sheet_rows):
    rows = [{k: v for k, v in row.items() if k != "node"} for row in sheet_rows]
    path = write_rows(tmp_path / "sheet.csv", rows)
    sheet = load_sheet(path, load_bibliography(BIBLIOGRAPHY), OUTCOMES, 5)
    arms = sheet["arm"] != "ALL"
    assert (sheet.loc[arms, "node"] == sheet.loc[arms, "arm"]).all()
    assert (sheet.loc[~arms, "node"] == "").all()


def test_an_arm_with_two_nodes_names_both_lines(tmp_path, sheet_rows):
    first = _row(sheet_rows, trial="NL2003I", arm="SIH", measure="randomised")
    later = _row(sheet_rows, trial="NL2003I", arm="SIH", measure="retained_12m")
    sheet_rows[later]["node"] = ""  # an empty cell is the arm's code, SIH: not INH
    problems = _problems(tmp_path, sheet_rows)
    assert problems == [
        (
            later + 2,
            "node",
            f"arm SIH of NL2003I is node 'INH' on line {first + 2}: an arm is one node (an "
            "empty cell is the arm's code, SIH)",
        )
    ]


def test_two_arms_of_a_trial_cannot_be_one_node(tmp_path, sheet_rows):
    for i, row in enumerate(sheet_rows):
        if row["trial"] == "EN2010" and row["arm"] == "SIM":
            sheet_rows[i]["node"] = "SIH"
    problems = _problems(tmp_path, sheet_rows)
    first_sim = _row(sheet_rows, trial="EN2010", arm="SIM", measure="randomised")
    assert problems[0][:2] == (first_sim + 2, "node")
    assert "node 'SIH' is already arm SIH of EN2010" in problems[0][2]
    assert {column for _, column, _ in problems} == {"node"}


def test_node_of_all_arms_together_and_undefined_and_malformed_nodes(tmp_path, sheet_rows):
    whole = _row(sheet_rows, trial="NL2003", arm="ALL", measure="randomised")
    sheet_rows[whole]["node"] = "SIH"
    for i, row in enumerate(sheet_rows):
        if row["trial"] == "BE2015" and row["arm"] == "SIH":
            sheet_rows[i]["node"] = "mixed route"
    defined = ("OMMT", "SIH", "SIM", "HDM", "INH", "THI", "CONV")  # MIX left out
    problems = _problems(tmp_path, sheet_rows, defined)
    assert problems[0] == (
        whole + 2,
        "node",
        "a row of all arms together (ALL) has no node: leave it empty",
    )
    belgian = [p for p in problems if p[0] != whole + 2]
    assert belgian and all("'mixed route' is not a code" in m for _, _, m in belgian)
    sheet_rows[whole]["node"] = ""
    for i, row in enumerate(sheet_rows):
        if row["trial"] == "BE2015" and row["arm"] == "SIH":
            sheet_rows[i]["node"] = "MIX"
    problems = _problems(tmp_path, sheet_rows, defined)
    assert problems and all("node 'MIX' is not among treatments/labels" in m for *_, m in problems)


def test_the_project_sheet_loads_with_the_configured_treatments(built, project_settings):
    sheet = built["sheet"]
    assert set(sheet.loc[sheet["arm"] != "ALL", "node"]) == set(project_settings.treatments.labels)
    assert project_settings.treatments.reference == "OMMT"


# -------------------------------------------------------------------------------------------
# The project's networks
# -------------------------------------------------------------------------------------------

NETWORK_TRIALS = {"trials": (), "select": (("supervision", ("supervised",)),)}


def test_retention_network_has_every_arm_with_counts(project_settings, built):
    table = _network(project_settings, built, "retention", **NETWORK_TRIALS)
    arms = network_arms(table)
    got = {(r.trial, r.node): (r.events, r.total, r.measure) for r in arms.itertuples()}
    assert got[("CA2009", "HDM")] == (22, 25, "retained_12m")
    assert got[("CA2009", "SIH")] == (101, 115, "retained_12m")
    assert got[("EN2010", "SIM")] == (34, 42, "retained_26w")
    assert got[("NL2003I", "INH")] == (80, 117, "retained_12m")
    # one measure per trial
    assert (arms.groupby("trial")["measure"].nunique() == 1).all()
    reasons = table.loc[~table["included"]].set_index("trial")["reason"]
    assert reasons["CA2016"] == "no row for CA2016 with any of the analysis's measures"
    assert "one arm only" in reasons["CH1998"]
    assert reasons["NL2003"] == "counts only for all arms together; the split by arm was not found"
    shape = geometry(arms, ["OMMT"])
    assert shape.connected
    assert list(shape.nodes["node"]) == ["OMMT", "SIH", "HDM", "SIM", "INH"]
    edges = {(e.node_a, e.node_b): e.trials for e in shape.edges.itertuples()}
    assert edges[("SIH", "HDM")] == "CA2009"
    assert edges[("OMMT", "SIH")] == "ES2006; DE2007; CA2009; EN2010"


def test_an_arm_without_counts_for_the_trials_measure_is_left_out_with_why(project_settings, built):
    table = _network(project_settings, built, "illicit_heroin", **NETWORK_TRIALS)
    sim = table[(table["trial"] == "EN2010") & (table["node"] == "SIM")].iloc[0]
    assert not sim["included"]
    assert sim["reason"] == "no counts for the trial's measure (urine_responder); status not_found"
    # the adjusted SIM count exists in the sheet but is another measure: never mixed in
    assert set(network_arms(table).query("trial == 'EN2010'")["measure"]) == {"urine_responder"}
    hdm = table[(table["trial"] == "CA2009") & (table["node"] == "HDM")].iloc[0]
    assert not hdm["included"]


@pytest.mark.parametrize("evidence", ["all", "reported_only"])
def test_network_and_pairwise_choose_the_same_measure_and_counts(project_settings, built, evidence):
    """Every pairwise analysis's trials enter its network with the same measure and counts
    (this sheet has no trial where two other arms have counts for an earlier measure)."""
    statuses = project_settings.evidence.sets[evidence]
    for name, analysis in project_settings.analyses.items():
        pairwise = included_arms(
            analysis_table(
                built["harmonised"],
                analysis,
                project_settings.comparison,
                statuses,
                built["trials"],
            )
        )
        network = network_arms(
            network_table(built["harmonised"], analysis, statuses, built["trials"])
        )
        keyed = network.set_index(["trial", "arm"])
        for row in pairwise.itertuples():
            match = keyed.loc[(row.trial, row.arm)]
            assert (match["measure"], match["events"], match["total"], match["line"]) == (
                row.measure,
                row.events,
                row.total,
                row.line,
            ), (name, row.trial, row.arm)


# -------------------------------------------------------------------------------------------
# Synthetic networks (no words of this review)
# -------------------------------------------------------------------------------------------


def _harmonised(arms: list[tuple]) -> pd.DataFrame:
    """A harmonised table from ``(trial, arm, node, measure, events, total, status)`` rows."""
    rows = [
        {
            "trial": trial,
            "country": "",
            "year": 2000,
            "arm": arm,
            "node": node,
            "outcome": "cure",
            "measure": measure,
            "definition": measure,
            "timepoint": "end",
            "events": events,
            "total": total,
            "unit": "participants",
            "status": status,
            "source": "SRC",
            "location": "table",
            "line": line,
        }
        for line, (trial, arm, node, measure, events, total, status) in enumerate(arms, start=2)
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({"events": "Int64", "total": "Int64"})


CURE = Outcome("cure", "cured", True, None)


def _analysis(trials, measures=("m1", "m2")) -> Analysis:
    return Analysis("cure", "Cure", CURE, tuple(measures), tuple(trials), "hn", "")


def test_first_measure_with_two_arms_and_every_arm_it_has():
    harmonised = _harmonised(
        [
            # T1: m1 counts one arm only, m2 all three arms: m2
            ("T1", "a", "A", "m1", 5, 10, "reported"),
            ("T1", "a", "A", "m2", 4, 10, "reported"),
            ("T1", "b", "B", "m2", 6, 10, "reported"),
            ("T1", "c", "C", "m2", 7, 10, "derived"),
            # T2: m1 for two of three arms, m2 for all: m1, arm c left out
            ("T2", "a", "A", "m1", 1, 20, "reported"),
            ("T2", "b", "B", "m1", 2, 20, "reported"),
            ("T2", "c", "C", "m1", None, 20, "not_found"),
            ("T2", "c", "C", "m2", 3, 20, "reported"),
            ("T2", "ALL", "", "m1", 3, 60, "reported"),
            # T3: only a status outside the evidence set
            ("T3", "a", "A", "m1", 1, 9, "secondary"),
            ("T3", "d", "D", "m1", 2, 9, "secondary"),
        ]
    )
    table = network_table(harmonised, _analysis(["T1", "T2", "T3"]), ["reported", "derived"])
    arms = network_arms(table)
    assert list(zip(arms["trial"], arms["node"], arms["measure"], strict=True)) == [
        ("T1", "A", "m2"),
        ("T1", "B", "m2"),
        ("T1", "C", "m2"),
        ("T2", "A", "m1"),
        ("T2", "B", "m1"),
    ]
    out = table.loc[~table["included"], ["trial", "node", "reason"]].fillna("")
    assert out.values.tolist() == [
        ["T2", "C", "no counts for the trial's measure (m1); status not_found"],
        ["T3", "", "counts only from sources with status secondary, not in this evidence set"],
    ]
    shape = geometry(arms)
    assert shape.nodes.set_index("node")["participants"].to_dict() == {"A": 30, "B": 30, "C": 10}
    assert shape.edges[["node_a", "node_b", "n_trials"]].values.tolist() == [
        ["A", "B", 2],
        ["A", "C", 1],
        ["B", "C", 1],
    ]


def test_a_network_in_pieces_is_named_by_its_components():
    harmonised = _harmonised(
        [
            ("T1", "x", "A", "m1", 1, 10, "reported"),
            ("T1", "y", "B", "m1", 2, 10, "reported"),
            ("T2", "x", "C", "m1", 3, 10, "reported"),
            ("T2", "y", "D", "m1", 4, 10, "reported"),
            ("T3", "x", "D", "m1", 5, 10, "reported"),
            ("T3", "y", "E", "m1", 6, 10, "reported"),
        ]
    )
    arms = network_arms(network_table(harmonised, _analysis(["T1", "T2", "T3"]), ["reported"]))
    shape = geometry(arms, ["B"])
    assert not shape.connected
    assert shape.components == (("C", "D", "E"), ("B", "A"))


def test_a_three_treatment_sheet_works_from_the_sheet_alone(tmp_path):
    """Another review: arm codes are the nodes (no node column), one three-arm trial."""
    base = {
        "country": "",
        "year": "2001",
        "treatment": "x",
        "definition": "d",
        "timepoint": "end",
        "population": "randomised",
        "percent_reported": "",
        "unit": "participants",
        "status": "reported",
        "percent_basis": "counts",
        "source": "K1",
        "location": "table 2",
        "note": "",
    }
    rows = []
    for trial, arm, events, total in [
        ("P1", "DRUG1", 12, 30),
        ("P1", "DRUG2", 15, 31),
        ("P1", "PLAC", 8, 29),
        ("P2", "DRUG1", 20, 50),
        ("P2", "PLAC", 11, 48),
    ]:
        rows.append({**base, "trial": trial, "arm": arm, "outcome": "randomised"})
        rows[-1].update(measure="randomised", events="", total=str(total), event_direction="")
        rows.append({**base, "trial": trial, "arm": arm, "outcome": "cure", "measure": "cured"})
        rows[-1].update(events=str(events), total=str(total), event_direction="favourable")
    sheet_path = write_rows(tmp_path / "sheet.csv", rows)
    bib = write_rows(tmp_path / "bib.csv", [{"key": "K1", "citation": "c", "kind": "", "note": ""}])
    sheet = load_sheet(sheet_path, load_bibliography(bib), ["cure"], 5)
    harmonised = harmonise(sheet, {"cure": CURE})
    arms = network_arms(network_table(harmonised, _analysis(["P1", "P2"], ["cured"]), ["reported"]))
    assert len(arms) == 5
    shape = geometry(arms, ["PLAC"])
    assert shape.connected and list(shape.nodes["node"]) == ["PLAC", "DRUG1", "DRUG2"]
    assert shape.edges.set_index(["node_a", "node_b"])["n_trials"].to_dict() == {
        ("PLAC", "DRUG1"): 2,
        ("PLAC", "DRUG2"): 1,
        ("DRUG1", "DRUG2"): 1,
    }


def test_components_match_brute_force_reachability():
    """Components by graph search against the transitive closure of the adjacency matrix,
    on random networks of two-arm and three-arm trials, sparse enough to fall apart."""
    rng = np.random.default_rng(2026)
    for _ in range(100):
        n_nodes = int(rng.integers(2, 9))
        names = [f"N{i}" for i in range(n_nodes)]
        rows = []
        for t in range(int(rng.integers(1, 6))):
            size = int(rng.integers(2, min(3, n_nodes) + 1))
            rows += [(f"T{t}", str(node), 1, 5) for node in rng.choice(names, size, replace=False)]
        arms = pd.DataFrame(rows, columns=["trial", "node", "events", "total"])
        shape = geometry(arms)
        nodes = list(shape.nodes["node"])
        index = {node: i for i, node in enumerate(nodes)}
        reach = np.eye(len(nodes), dtype=int)
        for _, group in arms.groupby("trial"):
            for a, b in itertools.combinations(group["node"], 2):
                reach[index[a], index[b]] = reach[index[b], index[a]] = 1
        for _ in range(len(nodes)):
            reach = np.minimum(reach @ reach, 1)
        closure = {frozenset(np.array(nodes)[reach[i] > 0]) for i in range(len(nodes))}
        assert {frozenset(c) for c in shape.components} == closure
        assert shape.connected == (len(closure) == 1)
