"""RIOTT's scenarios: the published counts reproduced, assumptions behaving as they say."""

from __future__ import annotations

import numpy as np
import pytest
from riott_data import DESIGN, MAR, PUBLISHED, RIOTT, SMALL_GRID

from hatmeta.riott import scenarios
from hatmeta.riott.settings import Scenario


def run(**values):
    return scenarios.run_scenario(RIOTT, Scenario("s", **values), PUBLISHED, DESIGN)


@pytest.mark.parametrize(
    ("reading", "expected"), [("percentage_points", 0.58), ("relative", 0.2145)]
)
def test_both_readings_of_the_extra_43_percent(reading, expected):
    assert scenarios.control_missing_share(0.15, reading, 43) == pytest.approx(expected)
    with pytest.raises(ValueError, match="outside"):
        scenarios.control_missing_share(0.6, "percentage_points", 43)


def test_missing_positive_reproduces_the_published_counts():
    result = run(imor_heroin=0, imor_methadone=0)
    summary = result["summary"]
    for role, published in PUBLISHED.items():
        interval = summary[f"responders_{role}"]
        assert interval["lower"] == interval["upper"] == published["events"]
    # the published unadjusted OR is 7.42 (2.69 to 20.46)
    assert summary["odds_ratio"]["median"] == pytest.approx(7.4, rel=0.1)
    assert summary["odds_ratio"]["lower"] == pytest.approx(2.69, rel=0.2)
    assert result["edge_mass"] < 1e-4


def test_extreme_imputations_bracket_the_published_result():
    best_methadone = run(imor_heroin=0, imor_methadone=np.inf)["summary"]
    worst = run(imor_heroin=np.inf, imor_methadone=0)["summary"]
    primary = run(imor_heroin=0, imor_methadone=0)["summary"]
    assert best_methadone["odds_ratio"]["median"] < primary["odds_ratio"]["median"]
    assert worst["odds_ratio"]["median"] > primary["odds_ratio"]["median"]
    assert best_methadone["responders_control"]["median"] > PUBLISHED["control"]["events"]


def test_same_seed_same_numbers():
    first = run(imor_heroin=1, imor_methadone=1)["summary"]
    second = run(imor_heroin=1, imor_methadone=1)["summary"]
    assert first == second


def test_scenario_fields_fall_back_to_the_section():
    settings = scenarios.scenario_settings(RIOTT, MAR, PUBLISHED)
    assert settings["arms"]["treatment"].missing_share == RIOTT.missing_share_heroin
    assert settings["arms"]["control"].missing_share == pytest.approx(0.58)
    assert settings["reading"] == "percentage_points"
    explicit = scenarios.scenario_settings(
        RIOTT, MAR._replace(missing_share_methadone=0.3, rho=0.1), PUBLISHED
    )
    assert explicit["arms"]["control"].missing_share == 0.3 and explicit["reading"] == "explicit"
    assert explicit["arms"]["control"].rho == 0.1


def test_tipping_grid_shape_and_monotone_in_imor():
    grid = scenarios.tipping_grid(SMALL_GRID, MAR, PUBLISHED, DESIGN)
    assert len(grid) == 9
    for _, rows in grid.groupby("missing_share_methadone"):
        assert rows.sort_values("imor_methadone")["log_or_centre"].is_monotonic_decreasing
