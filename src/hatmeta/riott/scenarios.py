"""RIOTT's missing-test scenarios: config entries -> arm settings -> posterior summaries.

Each named scenario (and each tipping-grid cell) fixes both arms' IMOR and missing shares; the
test-level model (:mod:`hatmeta.riott.testlevel`) then gives RIOTT's responders and odds ratio
under it. NumPy and SciPy only: a scenario job needs no sampler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hatmeta.intervals import interval
from hatmeta.riott.grid import tipping_cells
from hatmeta.riott.testlevel import (
    ArmPosterior,
    ArmSetting,
    TestingDesign,
    fit_arm,
    scenario_draws,
)

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings, Scenario

ROLES = ("treatment", "control")


def control_missing_share(heroin_share: float, reading: str, excess: float) -> float:
    """The oral-methadone missing share implied by the commentary's "extra 43%".

    ``reading='percentage_points'``: heroin share + 0.43; ``'relative'``: heroin share x 1.43.
    """
    if reading == "percentage_points":
        share = heroin_share + excess / 100
    elif reading == "relative":
        share = heroin_share * (1 + excess / 100)
    else:
        raise ValueError(f"unknown reading of the missing-test anchor: '{reading}'")
    if not 0 < share < 1:
        raise ValueError(
            f"heroin missing share {heroin_share} with the {reading} reading of "
            f"'{excess:g}% more' gives an oral-methadone share of {share:.3f}, outside (0, 1)"
        )
    return share


def _or_default(value, default):
    return default if value is None else value


def scenario_settings(riott: RiottSettings, scenario: Scenario, published: dict) -> dict:
    """Arm settings and IMORs for one scenario (unset fields take the section's defaults)."""
    heroin_share = _or_default(scenario.missing_share_heroin, riott.missing_share_heroin)
    reading = _or_default(scenario.anchor_reading, riott.anchor_reading)
    methadone_share = scenario.missing_share_methadone
    if methadone_share is None:
        methadone_share = control_missing_share(heroin_share, reading, riott.excess_missing_percent)
    sigma = _or_default(scenario.sigma_provide, riott.sigma_provide)
    rho = _or_default(scenario.rho, riott.rho)
    shares = {"treatment": heroin_share, "control": methadone_share}
    return {
        "arms": {
            role: ArmSetting(
                published[role]["total"], published[role]["events"], shares[role], sigma, rho
            )
            for role in ROLES
        },
        "imor": {
            "treatment": float(scenario.imor_heroin),
            "control": float(scenario.imor_methadone),
        },
        "reading": reading if scenario.missing_share_methadone is None else "explicit",
    }


def summarise_draws(draws: dict[str, np.ndarray]) -> dict:
    """Median and 95% interval of each arm's responders and the OR, and P(OR > 1)."""

    def summary_of(values):
        lower, median, upper = interval(values)
        return {"median": median, "lower": lower, "upper": upper}

    log_or = draws["log_or"]
    summary = {f"responders_{role}": summary_of(draws[f"responders_{role}"]) for role in ROLES}
    summary |= {f"pi_{role}": summary_of(draws[f"pi_{role}"]) for role in ROLES}
    summary["odds_ratio"] = {k: float(np.exp(v)) for k, v in summary_of(log_or).items()}
    summary["p_or_above_1"] = float(np.mean(log_or > 0))
    # A normal summary of the log OR for pooling. When an arm's responder probability nears 1
    # the log OR has long tails, so the centre and spread are the median and the
    # interquartile range / 1.349 (the sd of a normal with that IQR), not mean and sd.
    q25, q50, q75 = np.percentile(log_or, [25, 50, 75])
    summary["log_or_centre"] = float(q50)
    summary["log_or_spread"] = float((q75 - q25) / 1.349)
    return summary


def published_counts(harmonised, trial: str, measure: str, arms: Mapping[str, str]) -> dict:
    """The counts of ``measure`` per role, from the harmonised extraction table."""
    rows = harmonised[(harmonised["trial"] == trial) & (harmonised["measure"] == measure)]
    counts = {}
    for role, arm in arms.items():
        row = rows[(rows["arm"] == arm) & rows["events"].notna() & rows["total"].notna()]
        if row.empty:
            raise ValueError(f"no published {measure} counts for {trial} arm {arm}")
        counts[role] = {"events": int(row["events"].iloc[0]), "total": int(row["total"].iloc[0])}
    return counts


@cache
def _fit_arm_cached(setting: ArmSetting, design: TestingDesign) -> ArmPosterior:
    return fit_arm(setting, design)


def run_scenario(
    riott: RiottSettings, scenario: Scenario, published: dict, design: TestingDesign
) -> dict[str, Any]:
    """Posterior summary of one scenario, with its settings and the grid-accuracy check."""
    settings = scenario_settings(riott, scenario, published)
    posteriors = {role: _fit_arm_cached(settings["arms"][role], design) for role in ROLES}
    draws = scenario_draws(
        posteriors["treatment"],
        posteriors["control"],
        settings["imor"]["treatment"],
        settings["imor"]["control"],
        riott.draws,
        riott.seed,
    )
    return {
        "summary": summarise_draws(draws),
        "settings": settings,
        "edge_mass": max(p.edge_mass for p in posteriors.values()),
    }


EDGE_MASS_MAX = 1e-4


def check_grid(result: dict, name: str) -> None:
    """Stop if the posterior grid is too narrow (mass on its edges): the quadrature gate."""
    if result["edge_mass"] > EDGE_MASS_MAX:
        raise ValueError(
            f"RIOTT scenario '{name}': {result['edge_mass']:.2g} of the posterior mass lies on "
            f"the edge of the (beta, sigma) grid (limit {EDGE_MASS_MAX:g}); widen the grid in "
            "hatmeta.riott.testlevel.fit_arm"
        )


def scenario_frame(name: str, result: dict) -> pd.DataFrame:
    """One tidy row per reported quantity, with the scenario's assumptions alongside."""
    settings, summary = result["settings"], result["summary"]
    rows = []
    for quantity, value in summary.items():
        if isinstance(value, dict):
            rows.append({"quantity": quantity, **value})
        else:
            rows.append({"quantity": quantity, "median": value})
    frame = pd.DataFrame(rows)
    arms = settings["arms"]
    frame.insert(0, "scenario", name)
    frame["imor_heroin"] = settings["imor"]["treatment"]
    frame["imor_methadone"] = settings["imor"]["control"]
    frame["missing_share_heroin"] = arms["treatment"].missing_share
    frame["missing_share_methadone"] = arms["control"].missing_share
    frame["anchor_reading"] = settings["reading"]
    frame["sigma_provide"] = arms["treatment"].sigma_provide
    frame["rho"] = arms["treatment"].rho
    frame["grid_edge_mass"] = result["edge_mass"]
    return frame


def tipping_grid(
    riott: RiottSettings,
    heroin: Scenario,
    published: dict,
    design: TestingDesign,
    cells: Sequence[tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """RIOTT's odds ratio over (oral-methadone missing share, oral-methadone IMOR).

    The heroin arm stays at the scenario ``heroin``'s IMOR and missing share. ``cells``
    restricts the grid to one batch (default: every cell of ``riott.tipping``).
    """
    if cells is None:
        cells = tipping_cells(riott.tipping)
    rows = []
    for share, imor in cells:
        scenario = heroin._replace(missing_share_methadone=share, imor_methadone=imor)
        summary = run_scenario(riott, scenario, published, design)["summary"]
        rows.append(
            {
                "heroin_scenario": heroin.name,
                "missing_share_methadone": round(share, 6),
                "imor_methadone": imor,
                "or_median": summary["odds_ratio"]["median"],
                "or_lower": summary["odds_ratio"]["lower"],
                "or_upper": summary["odds_ratio"]["upper"],
                "p_or_above_1": summary["p_or_above_1"],
                "log_or_centre": summary["log_or_centre"],
                "log_or_spread": summary["log_or_spread"],
            }
        )
    return pd.DataFrame(rows)


def load_inputs(riott: RiottSettings, harmonised_path, facts_path) -> tuple[dict, TestingDesign]:
    """Published primary-rule counts (from the extract stage) and the testing design."""
    import yaml

    with open(facts_path) as handle:
        facts = yaml.safe_load(handle)
    harmonised = pd.read_csv(harmonised_path)
    published = published_counts(harmonised, riott.trial, riott.measure, riott.arms)
    return published, TestingDesign.from_facts(facts)
