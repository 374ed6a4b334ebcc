"""RIOTT's scenarios: assumptions resolved and checked, imputed counts reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from riott_data import INPUTS, MAR, PUBLISHED, RIOTT

from hatmeta.riott import scenarios
from hatmeta.riott.settings import Scenario


def run(*cells, riott=RIOTT, draws=4000):
    return scenarios.run(riott, list(cells), INPUTS, draws)


@pytest.mark.parametrize(
    ("reading", "expected"), [("percentage_points", 0.58), ("relative", 0.2145)]
)
def test_both_readings_of_the_extra_43_percent(reading, expected):
    assert scenarios.control_missing_share(0.15, reading, 43) == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown reading"):
        scenarios.control_missing_share(0.15, "absolute", 43)


def test_missing_positive_reproduces_the_published_counts():
    [result] = run(Scenario("mp", 0, 0))
    assert result.usable
    for role, published in PUBLISHED.items():
        assert (result.responders[role] == published["events"]).all()
    frame = scenarios.frame([result], INPUTS)
    assert frame.loc[0, "rd_median"] == pytest.approx(31 / 43 - 11 / 42)
    assert list(scenarios.imputations_frame([result]).itertuples(index=False)) == [
        ("mp", 31, 11, 4000)
    ]


def test_scenario_fields_fall_back_to_the_section():
    [default] = run(MAR)
    assert default.scenario.missing_share_heroin == RIOTT.missing_share_heroin
    assert default.scenario.missing_share_methadone == pytest.approx(0.58)
    assert default.scenario.anchor_reading == "percentage_points"
    [explicit] = run(MAR._replace(missing_share_methadone=0.3, rho=0.1))
    assert explicit.scenario.anchor_reading == "explicit" and explicit.scenario.rho == 0.1


def test_leavers_set_a_floor_on_each_arms_missing_share():
    # 13 of 42 oral-methadone patients left: with 4 tests missed each, at least 52/546.
    riott = RIOTT._replace(leaver_missed_tests=4)
    assert INPUTS.share_floor("control", 4) == pytest.approx(13 * 4 / (42 * 13))
    [below] = run(MAR._replace(missing_share_methadone=0.05), riott=riott)
    assert not below.usable and not below.responders
    assert "below the 0.0952 its leavers imply" in below.reasons[0]
    [impossible] = run(MAR._replace(missing_share_heroin=0.6))  # 0.6 + 0.43 > 1
    assert "outside (0, 1)" in impossible.reasons[0]


def test_incompatible_cells_keep_their_numbers_and_say_why():
    [result] = run(MAR._replace(missing_share_methadone=0.7))
    assert not result.usable and len(result.responders) == 2
    assert "0.186, is below the published 11/42" in result.reasons[0]
    frame = scenarios.frame([result], INPUTS)
    assert not frame.loc[0, "usable"] and frame.loc[0, "ceiling_oral-methadone"] < 11 / 42


def test_an_arms_imputations_do_not_depend_on_the_company_it_keeps():
    """Same seed, same arm assumptions: same counts, whatever else is computed in the job."""
    [alone] = run(MAR)
    together = run(Scenario("x", 0.5, 2.0), MAR, Scenario("y", 1.0, 0.0))
    assert np.array_equal(alone.responders["treatment"], together[1].responders["treatment"])
    assert np.array_equal(alone.responders["control"], together[1].responders["control"])
    # the heroin arm at IMOR 1 is the same arm in "y": the same imputations
    assert np.array_equal(together[2].responders["treatment"], alone.responders["treatment"])


def test_extreme_imputations_bracket_the_primary_counts():
    best, worst = run(Scenario("b", 0, np.inf), Scenario("w", np.inf, 0))
    assert (best.responders["treatment"] == 31).all() and best.responders["control"].min() >= 11
    assert (worst.responders["control"] == 11).all() and worst.responders["treatment"].min() >= 31
    # every missing test negative: most oral-methadone non-responders become responders
    assert best.responders["control"].mean() > 35 and worst.responders["treatment"].mean() > 36
