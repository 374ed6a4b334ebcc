"""Classical methods against R's metafor (every number, 1e-6 relative) and against hand sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bayes_data import arms_table
from oracles.metafor import metadat, metafor
from statsmodels.stats.meta_analysis import combine_effects

from hatmeta import classical
from hatmeta.data.tables import build_tables, included_arms

RETENTION = [
    ("DE2007", 346, 515, 200, 500),
    ("CA2009", 101, 115, 60, 111),
    ("EN2010", 38, 43, 29, 42),
    ("ES2006", 23, 31, 21, 31),
]
#: Datasets of metafor's data package: zero-event arms (nielweise2007: 18 trials; egger2001:
#: large heterogeneity; li2007: 22 trials) and BCG given as four cells.
METADAT = {
    "dat.nielweise2007": ("ai", "n1i", "ci", "n2i"),
    "dat.egger2001": ("ai", "n1i", "ci", "n2i"),
    "dat.li2007": ("ai", "n1i", "ci", "n2i"),
    "dat.bcg": ("tpos", "tneg", "cpos", "cneg", "cells"),
}
RELATIVE = 1e-6
METHODS = {"MH fixed": "MH", "IV fixed": "IV", "DL random": "DL", "REML random": "REML"}
#: Every number metafor gives too (the labels and counts aside).
COMPARED = [c for c in classical.COLUMNS if c not in ("method", "measure", "df", "n_trials")]
LOG_SCALE = {"estimate", "lower", "upper", "hksj_lower", "hksj_upper", "pi_lower", "pi_upper"}


def long_arms(wide: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in wide.itertuples(index=False):
        rows.append(("treatment", r.trial, r.events_treatment, r.total_treatment))
        rows.append(("control", r.trial, r.events_control, r.total_control))
    return pd.DataFrame(rows, columns=["role", "trial", "events", "total"])


def compare_with_metafor(wide: pd.DataFrame, expected: dict) -> list[str]:
    """Every number of :func:`classical.classical_meta_analysis` against metafor's; returns the
    largest relative difference per method and measure (for the note)."""
    result = classical.classical_meta_analysis(long_arms(wide))
    pooled = result["pooled"].set_index(["method", "measure"])
    seen = []
    for (method, measure), row in pooled.iterrows():
        theirs = expected[measure][METHODS[method]]
        largest = 0.0
        for column in COMPARED:
            if column not in theirs or theirs[column] is None:
                continue
            ours = row[column]
            if measure in classical.RATIOS and column in LOG_SCALE:
                ours = np.log(ours)
            assert ours == pytest.approx(theirs[column], rel=RELATIVE, abs=1e-12), (
                method,
                measure,
                column,
                ours,
                theirs[column],
            )
            if theirs[column]:
                largest = max(largest, abs(ours / theirs[column] - 1))
        seen.append(f"{method} {measure}: {largest:.1e}")
    trials = result["trials"]
    for measure in classical.MEASURES:
        ours = trials[trials["measure"] == measure]
        assert ours["yi"].to_numpy() == pytest.approx(expected[measure]["yi"], rel=RELATIVE)
        assert ours["vi"].to_numpy() == pytest.approx(expected[measure]["vi"], rel=RELATIVE)
    return seen


@pytest.mark.parametrize("name", list(METADAT))
def test_every_number_matches_metafor_on_its_datasets(name):
    wide, expected = metadat(name, METADAT[name])
    print(name, "; ".join(compare_with_metafor(wide, expected)))


@pytest.fixture(scope="module")
def project_tables(project_settings):
    s = project_settings
    built = build_tables(s.data.extraction, s.data.bibliography, s.extract)
    return {key: table for key, table in built["analyses"].items() if key[0] == "all"}


def test_every_number_matches_metafor_on_the_project_tables(project_tables):
    compared = 0
    for (_, name), table in project_tables.items():
        arms = included_arms(table)
        if arms["trial"].nunique() < 2:
            continue
        wide = classical.two_by_two(arms[["trial", "role", "events", "total"]])
        print(name, "; ".join(compare_with_metafor(wide, metafor(wide))))
        compared += 1
    assert compared >= 3


def test_zero_cells_are_corrected_for_display_but_not_in_mantel_haenszel():
    """The issue's case: 0.5 added before MH moved nielweise2007's MH OR from 0.299 to 0.320."""
    wide = classical.two_by_two(arms_table([("A", 0, 116, 3, 117), ("B", 1, 44, 3, 35)]))
    effects = classical.trial_effects(wide, "OR").set_index("trial")
    assert effects.loc["A", "corrected"] and not effects.loc["B", "corrected"]
    assert effects.loc["A", "yi"] == pytest.approx(np.log(0.5 * 114.5 / (116.5 * 3.5)))
    log_or, _ = classical.mantel_haenszel(wide, "OR")
    # MH OR = sum(a d / n) / sum(b c / n), uncorrected counts
    expected = (0 + 1 * 32 / 79) / (116 * 3 / 233 + 43 * 3 / 79)
    assert np.exp(log_or) == pytest.approx(expected)


def test_mh_risk_ratio_and_difference_by_hand():
    wide = classical.two_by_two(arms_table([("T1", 10, 50, 5, 50), ("T2", 20, 40, 10, 60)]))
    log_rr, _ = classical.mantel_haenszel(wide, "RR")
    expected = (10 * 50 / 100 + 20 * 60 / 100) / (5 * 50 / 100 + 10 * 40 / 100)
    assert np.exp(log_rr) == pytest.approx(expected)
    rd, _ = classical.mantel_haenszel(wide, "RD")
    weights = 50 * 50 / 100 + 40 * 60 / 100
    assert rd == pytest.approx(((10 * 50 - 5 * 50) / 100 + (20 * 60 - 10 * 40) / 100) / weights)


def test_dersimonian_laird_matches_statsmodels():
    """A second implementation: statsmodels' combine_effects (tau^2 > 0 here, where statsmodels
    does not need truncating)."""
    wide = classical.two_by_two(arms_table(RETENTION))
    effects = classical.trial_effects(wide, "RR")
    ours = classical.pool(effects["yi"], effects["vi"], "DL")
    theirs = combine_effects(effects["yi"].to_numpy(), effects["vi"].to_numpy(), method_re="dl")
    assert ours["tau2"] == pytest.approx(theirs.tau2) and ours["tau2"] > 0
    assert ours["estimate"] == pytest.approx(theirs.mean_effect_re)
    assert ours["se"] == pytest.approx(theirs.sd_eff_w_re)


def test_one_trial_pools_to_itself_without_heterogeneity():
    wide = classical.two_by_two(arms_table([("CA2009", 0, 115, 1, 111)]))
    pooled = classical.classical_meta_analysis(long_arms(wide))["pooled"]
    rr = pooled[(pooled["measure"] == "RR") & (pooled["method"] == "DL random")].iloc[0]
    assert rr["estimate"] == pytest.approx((0.5 / 116) / (1.5 / 112))
    assert np.isnan(rr[["Q", "I2", "hksj_lower", "pi_lower"]].astype(float)).all()
    assert rr["tau2"] == 0


def test_ca2009_trial_rr_matches_published_rate_ratio():
    wide = classical.two_by_two(arms_table(RETENTION))
    effects = classical.trial_effects(wide, "RR").set_index("trial")
    # Published rate ratio 1.62 (NAO09); 101/115 over 60/111 is 1.6248.
    assert np.exp(effects.loc["CA2009", "yi"]) == pytest.approx((101 / 115) / (60 / 111))
    assert not effects["corrected"].any()


def test_the_bcg_example_sheet_holds_metafors_dat_bcg():
    """examples/bcg transcribes dat.bcg: the same 13 trials with the same counts, in order."""
    from conftest import BCG_REVIEW, at

    from hatmeta.config import load_settings

    wide, expected = metadat("dat.bcg", METADAT["dat.bcg"])
    settings = at(BCG_REVIEW, load_settings(BCG_REVIEW / "config.yaml"))
    built = build_tables(settings.data.extraction, settings.data.bibliography, settings.extract)
    arms = included_arms(built["analyses"][("all", "tuberculosis")])
    ours = classical.two_by_two(arms[["trial", "role", "events", "total"]])
    columns = ["events_treatment", "total_treatment", "events_control", "total_control"]
    assert len(ours) == 13
    assert ours[columns].to_numpy().tolist() == wide[columns].to_numpy().tolist()
    compare_with_metafor(ours, expected)
