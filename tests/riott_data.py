"""RIOTT's published counts and settings like the project's, for the RIOTT tests."""

from __future__ import annotations

from hatmeta.riott.facts import TestingDesign
from hatmeta.riott.scenarios import Inputs
from hatmeta.riott.settings import Ranges, RiottSettings, Scenario, Tipping

DESIGN = TestingDesign()
PUBLISHED = {"treatment": {"events": 31, "total": 43}, "control": {"events": 11, "total": 42}}
RETAINED = {"treatment": {"events": 38, "total": 43}, "control": {"events": 29, "total": 42}}
MAR = Scenario("mar", imor_heroin=1, imor_methadone=1)
RIOTT = RiottSettings(
    trial="EN2010",
    measure="urine_responder",
    retention_measure="retained_26w",
    treatment_arm="SIH",
    control_arm="OMMT",
    missing_share_heroin=0.15,
    anchor_reading="percentage_points",
    sigma_provide=1.0,
    rho=0.5,
    ranges=Ranges(
        missing_share_heroin=(0.05, 0.15),
        anchor_reading=("percentage_points", "relative"),
        sigma_provide=(0.5, 1.0),
        rho=(0.0, 0.5),
        scenario="mar",
    ),
    leaver_missed_tests=1,
    compatibility_alpha=0.05,
    draws=20000,
    cell_draws=4000,
    seed=2010,
    scenarios={"mar": MAR},
    tipping=Tipping(
        heroin_scenarios=("mar",),
        share_from=0.2,
        share_to=0.5,
        share_steps=3,
        imor_methadone=(0.0, 1.0, 4.0),
        analysis="illicit_heroin",
        benefit_probability=0.95,
        cells_per_job=100,
    ),
)
SMALL_GRID = RIOTT._replace(draws=4000)
INPUTS = Inputs(PUBLISHED, RETAINED, DESIGN)
