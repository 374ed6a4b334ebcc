"""Harmonisation, per-analysis selection and the audit table."""

from __future__ import annotations

import pandas as pd
import pytest

from hatmeta.data.tables import build_tables, read_analysis_table, trial_rows
from hatmeta.io import write_csv


def build(settings):
    return build_tables(settings.data.extraction, settings.data.bibliography, settings.extract)


@pytest.fixture(scope="module")
def tables(project_settings):
    return build(project_settings)


def included(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["included"]].set_index(["trial", "role"])


def test_unfavourable_counts_are_flipped_to_the_outcome_event(tables):
    illicit = included(tables["analyses"][("all", "illicit_heroin")])
    # Switzerland reported continued heroin use (6/27, 16/24); the model counts non-users.
    assert illicit.loc[("CH1998", "treatment"), ["events", "total"]].tolist() == [21, 27]
    assert illicit.loc[("CH1998", "control"), ["events", "total"]].tolist() == [8, 24]
    assert illicit.loc[("CH1998", "control"), "arm"] == "CONV"


def test_riott_compares_heroin_with_oral_methadone_not_injectable_methadone(tables):
    retention = included(tables["analyses"][("all", "retention")])
    assert retention.loc[("EN2010", "control"), "arm"] == "OMMT"
    assert retention.loc[("EN2010", "control"), ["events", "total"]].tolist() == [29, 42]
    assert retention.loc[("EN2010", "treatment"), ["events", "total"]].tolist() == [38, 43]


def test_primary_retention_set_excludes_trials_with_missing_control(tables):
    table = tables["analyses"][("all", "retention")]
    assert sorted(table.loc[table["included"], "trial"].unique()) == ["CA2009", "DE2007", "EN2010"]
    reason = table.loc[table["trial"] == "CH1998", "reason"].item()
    assert "control arm" in reason


def test_netherlands_stays_out_without_arm_denominators(tables):
    table = tables["analyses"][("all", "illicit_heroin_with_nl")]
    row = table[table["trial"] == "NL2003"]
    assert not row["included"].item()
    assert "no per-arm counts" in row["reason"].item()
    retention = tables["analyses"][("all", "retention_all")]
    reason = retention.loc[retention["trial"] == "NL2003", "reason"].item()
    assert "both arms together" in reason


def test_evidence_set_drops_secondary_figures(tables):
    everything = tables["analyses"][("all", "illicit_heroin")]
    primary = tables["analyses"][("reported_only", "illicit_heroin")]
    assert set(everything.loc[everything["included"], "status"]) >= {"secondary"}
    assert "secondary" not in set(primary.loc[primary["included"], "status"])
    de = primary[primary["trial"] == "DE2007"]
    assert "status secondary, not in this evidence set" in de["reason"].item()


def test_audit_lists_every_sheet_row_with_status_source_and_use(tables, project_settings):
    audit = tables["audit"]
    sheet = pd.read_csv(project_settings.data.extraction)
    assert len(audit) == len(sheet)
    assert audit["status"].notna().all() and audit["citation"].notna().all()
    de = audit[
        (audit["trial"] == "DE2007")
        & (audit["measure"] == "retained_12m")
        & (audit["arm"] == "SIH")
    ].iloc[0]
    assert de["derivation"] == "round(67.2% x 515) = 346"
    assert "all/retention" in de["used_in"] and "reported_only/retention" in de["used_in"]


def test_a_second_review_in_the_same_format(other_review_settings):
    from hatmeta.config import Evidence

    evidence = Evidence(
        {"all": ("reported", "derived", "secondary"), "reported_only": ("reported", "derived")},
        ("all", "reported_only"),
    )
    tables = build(other_review_settings._replace(evidence=evidence))
    abstinence = included(tables["analyses"][("all", "abstinence")])
    # BETA2005 reported relapse (unfavourable): 20/45 and 31/44 relapsed -> 25 and 13 abstinent
    assert abstinence.loc[("BETA2005", "treatment"), "events"] == 25
    assert abstinence.loc[("BETA2005", "control"), "events"] == 13
    assert abstinence.index.get_level_values("trial").nunique() == 3
    primary = tables["analyses"][("reported_only", "abstinence")]
    assert sorted(primary.loc[primary["included"], "trial"].unique()) == ["ALPHA2001", "BETA2005"]
    adverse = tables["analyses"][("all", "adverse_events")]
    assert not adverse["included"].any()


def test_analysis_tables_round_trip_through_their_schema(tables, tmp_path):
    """A table written by the extract stage reads back with the same values and dtypes."""
    for key, table in tables["analyses"].items():
        path = tmp_path / f"{'_'.join(key)}.csv"
        write_csv(table, path)
        back = read_analysis_table(path)
        assert list(back.columns) == list(table.columns)
        for column in ("events", "total", "line", "year"):
            assert str(back[column].dtype) == "Int64"
        assert back["included"].dtype == bool
        pd.testing.assert_frame_equal(trial_rows(back), trial_rows(table), check_dtype=False)


def test_a_malformed_analysis_table_is_refused(tables, tmp_path):
    import pandera.errors

    table = tables["analyses"][("all", "retention")].copy()
    table.loc[table.index[0], "role"] = "placebo"
    path = tmp_path / "bad.csv"
    write_csv(table, path)
    with pytest.raises(pandera.errors.SchemaError, match="role"):
        read_analysis_table(path)
