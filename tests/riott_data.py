"""RIOTT's published counts and settings like the project's, for the RIOTT tests."""

from __future__ import annotations

from hatmeta.riott.settings import RiottSettings, Scenario, Tipping
from hatmeta.riott.testlevel import TestingDesign

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
    excess_missing_percent=43.0,
    missing_share_heroin=0.15,
    anchor_reading="percentage_points",
    sigma_provide=1.0,
    rho=0.5,
    draws=20000,
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
