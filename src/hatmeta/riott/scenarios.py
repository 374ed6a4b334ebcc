"""RIOTT's missing-test scenarios: assumptions -> arm posteriors -> imputed responder counts.

A scenario (a named one from the config, or a cell of :mod:`hatmeta.riott.grid`) fixes each
arm's missing share and IMOR and the structural assumptions. This module checks that the
assumptions are possible (missing shares within (0, 1) and at least what each arm's leavers imply)
and compatible with the published counts (:meth:`hatmeta.riott.testlevel.ArmPosterior.
compatibility`), then draws the scenario's imputed responder counts. NumPy and SciPy only: a
scenario job needs no sampler.

Random numbers come from the config's seed and the arm's own assumptions, so an arm's
imputations are the same in every scenario and cell that shares its assumptions, whatever the
order or batch they are computed in.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hatmeta.display import p_text
from hatmeta.intervals import interval
from hatmeta.riott.facts import TestingDesign, published_counts, read_design
from hatmeta.riott.testlevel import ArmPosterior, ArmSetting, fit_arms, imputed_responders

if TYPE_CHECKING:
    from hatmeta.riott.grid import Cell
    from hatmeta.riott.settings import RiottSettings, Scenario

ROLES = ("treatment", "control")
LABEL = {"treatment": "heroin", "control": "oral-methadone"}
#: The arm posterior's grid must hold all but this much of its mass (the quadrature gate).
EDGE_MASS_MAX = 1e-4


def control_missing_share(heroin_share: float, reading: str, excess: float) -> float:
    """The oral-methadone missing share implied by the commentary's "extra 43%".

    ``reading='percentage_points'``: heroin share + 0.43; ``'relative'``: heroin share x 1.43.
    """
    if reading == "percentage_points":
        return heroin_share + excess / 100
    if reading == "relative":
        return heroin_share * (1 + excess / 100)
    raise ValueError(f"unknown reading of the missing-test anchor: '{reading}'")


@dataclass(frozen=True)
class Inputs:
    """What every scenario needs from the data: published primary-rule counts and retention
    (``{role: {"events", "total"}}``) and the testing design."""

    published: Mapping[str, Mapping[str, int]]
    retained: Mapping[str, Mapping[str, int]]
    design: TestingDesign

    def share_floor(self, role: str, leaver_missed_tests: int) -> float:
        """The lowest missing share the arm's leavers allow: each patient who left before week
        26 missed at least ``leaver_missed_tests`` of the scheduled tests."""
        leavers = self.retained[role]["total"] - self.retained[role]["events"]
        return leavers * leaver_missed_tests / (self.published[role]["total"] * self.design.tests)


def load_inputs(riott: RiottSettings, harmonised_path, facts_path) -> Inputs:
    """Published counts and retention (from the extract stage) and the testing design."""
    harmonised = pd.read_csv(harmonised_path)
    return Inputs(
        published=published_counts(harmonised, riott.trial, riott.measure, riott.arms),
        retained=published_counts(harmonised, riott.trial, riott.retention_measure, riott.arms),
        design=read_design(facts_path),
    )


@dataclass
class ScenarioResult:
    """One scenario: its resolved assumptions, whether they hold, and its imputed counts."""

    scenario: Scenario
    reasons: list[str] = field(default_factory=list)
    compatibility: dict[str, dict[str, Any]] = field(default_factory=dict)
    responders: dict[str, np.ndarray] = field(default_factory=dict)
    edge_mass: float = float("nan")

    @property
    def usable(self) -> bool:
        """Possible and compatible: its results say something about the assumptions."""
        return not self.reasons

    def pair_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct imputed pairs ``(r_heroin, r_methadone)`` in order of first draw, and each
        one's number of draws (NumPy: a pandas value_counts per cell cost the cell jobs more
        than their imputations)."""
        treatment, control = self.responders["treatment"], self.responders["control"]
        # One integer per pair (counts are non-negative): np.unique along rows sorts far slower.
        base = int(control.max()) + 1
        keys, first, counts = np.unique(
            treatment * base + control, return_index=True, return_counts=True
        )
        order = np.argsort(first)
        pairs = np.stack([keys[order] // base, keys[order] % base], axis=1)
        return pairs, counts[order]

    def imputations(self) -> pd.DataFrame:
        """Distinct imputed pairs with their number of draws."""
        if not self.responders:
            return pd.DataFrame(columns=["r_heroin", "r_methadone", "draws"])
        pairs, draws = self.pair_counts()
        return pd.DataFrame({"r_heroin": pairs[:, 0], "r_methadone": pairs[:, 1], "draws": draws})


def _resolve(riott: RiottSettings, scenario: Scenario, inputs: Inputs) -> ScenarioResult:
    """The scenario with its methadone share, and why its assumptions are impossible, if so."""
    s = riott.resolved(scenario)
    if s.missing_share_methadone is None:
        share = control_missing_share(
            s.missing_share_heroin, s.anchor_reading, inputs.design.excess_missing_percent
        )
        s = s._replace(missing_share_methadone=round(share, 6))
    else:
        s = s._replace(anchor_reading="explicit")
    result = ScenarioResult(s)
    shares = {"treatment": s.missing_share_heroin, "control": s.missing_share_methadone}
    for role, share in shares.items():
        floor = inputs.share_floor(role, riott.leaver_missed_tests)
        if not 0 < share < 1:
            result.reasons.append(f"{LABEL[role]} missing share {share:.3g} outside (0, 1)")
        elif share < floor:
            result.reasons.append(
                f"{LABEL[role]} missing share {share:.3g} below the {floor:.3g} its leavers imply"
            )
    return result


def arm_setting(scenario: Scenario, role: str, inputs: Inputs) -> ArmSetting:
    share = (
        scenario.missing_share_heroin if role == "treatment" else scenario.missing_share_methadone
    )
    counts = inputs.published[role]
    return ArmSetting(
        counts["total"], counts["events"], share, scenario.sigma_provide, scenario.rho
    )


#: Arm posteriors already computed in this process (tests run many scenarios).
_FITTED: dict[tuple[ArmSetting, TestingDesign], ArmPosterior] = {}


def _posteriors(
    settings: Sequence[ArmSetting], design: TestingDesign
) -> dict[ArmSetting, ArmPosterior]:
    """Every arm posterior the settings need, the missing ones fitted together (arms sharing
    their structural assumptions share most of the work, see :func:`fit_arms`)."""
    missing = [s for s in dict.fromkeys(settings) if (s, design) not in _FITTED]
    for setting, posterior in zip(missing, fit_arms(missing, design), strict=True):
        _FITTED[setting, design] = posterior
    return {s: _FITTED[s, design] for s in settings}


def _rng(seed: int, setting: ArmSetting, draws: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(repr((setting, draws)).encode())])


def run(
    riott: RiottSettings, scenarios: Sequence[Scenario], inputs: Inputs, draws: int
) -> list[ScenarioResult]:
    """Every scenario's assumptions checked and, where possible, its imputed counts drawn."""
    results = [_resolve(riott, s, inputs) for s in scenarios]
    groups: dict[str, dict[ArmSetting, list[ScenarioResult]]] = {role: {} for role in ROLES}
    for role in ROLES:
        for result in results:
            if not result.reasons:
                setting = arm_setting(result.scenario, role, inputs)
                groups[role].setdefault(setting, []).append(result)
    posteriors = _posteriors([s for role in ROLES for s in groups[role]], inputs.design)
    for role in ROLES:
        imors = "imor_heroin" if role == "treatment" else "imor_methadone"
        for setting, members in groups[role].items():
            posterior = posteriors[setting]
            compatibility = posterior.compatibility(riott.compatibility_alpha)
            values = sorted({float(getattr(m.scenario, imors)) for m in members})
            counts = imputed_responders(posterior, values, draws, _rng(riott.seed, setting, draws))
            for member in members:
                member.responders[role] = counts[
                    values.index(float(getattr(member.scenario, imors)))
                ]
                member.compatibility[role] = compatibility
                member.edge_mass = max(np.nan_to_num(member.edge_mass), posterior.edge_mass)
    for result in results:
        for role, check in result.compatibility.items():
            if not check["compatible"]:
                result.reasons.append(_incompatible(role, check, inputs))
    return results


def _incompatible(role: str, check: Mapping[str, Any], inputs: Inputs) -> str:
    counts = inputs.published[role]
    published = f"{counts['events']}/{counts['total']}"
    if check["ceiling"] < counts["events"] / counts["total"]:
        return (
            f"{LABEL[role]} arm: the model's highest primary-rule responder rate, "
            f"{check['ceiling']:.3f}, is below the published {published}"
        )
    return (
        f"{LABEL[role]} arm: the published {published} is implausible under the fitted model "
        f"(posterior predictive {p_text(check['predictive_p'])})"
    )


def check_grid(result: ScenarioResult) -> None:
    """Stop if an arm posterior's grid is too narrow (mass on its edges): the quadrature gate."""
    if result.edge_mass > EDGE_MASS_MAX:
        raise ValueError(
            f"RIOTT scenario '{result.scenario.name}': {result.edge_mass:.2g} of the posterior "
            f"mass lies on the edge of the (beta, sigma) grid (limit {EDGE_MASS_MAX:g}); widen "
            "the grid in hatmeta.riott.testlevel (GRID_BETA, GRID_SIGMA)"
        )


def _summary(values: np.ndarray, prefix: str) -> dict[str, float]:
    lower, median, upper = interval(values)
    return {f"{prefix}_median": median, f"{prefix}_lower": lower, f"{prefix}_upper": upper}


def frame(results: Sequence[ScenarioResult], inputs: Inputs) -> pd.DataFrame:
    """One row per scenario: its assumptions, whether they hold, and its imputed counts."""
    rows = []
    for result in results:
        s = result.scenario
        row = {
            "scenario": s.name,
            "imor_heroin": s.imor_heroin,
            "imor_methadone": s.imor_methadone,
            "missing_share_heroin": s.missing_share_heroin,
            "missing_share_methadone": s.missing_share_methadone,
            "anchor_reading": s.anchor_reading,
            "sigma_provide": s.sigma_provide,
            "rho": s.rho,
            "usable": result.usable,
            "reason": "; ".join(result.reasons),
        }
        for role, check in result.compatibility.items():
            row[f"ceiling_{LABEL[role]}"] = check["ceiling"]
            row[f"predictive_p_{LABEL[role]}"] = check["predictive_p"]
        n = {role: inputs.published[role]["total"] for role in ROLES}
        row |= {"n_heroin": n["treatment"], "n_methadone": n["control"]}
        if len(result.responders) == len(ROLES):
            rt, rc = result.responders["treatment"], result.responders["control"]
            row |= _summary(rt, "responders_heroin") | _summary(rc, "responders_methadone")
            row |= _summary(rt / n["treatment"] - rc / n["control"], "rd")
        row["grid_edge_mass"] = result.edge_mass
        rows.append(row)
    return pd.DataFrame(rows)


def cells_frame(cells: Sequence[Cell], results: Sequence[ScenarioResult], inputs: Inputs):
    """:func:`frame` of grid cells, with each cell's family and anchor scenario first."""
    out = frame(results, inputs)
    out.insert(0, "anchor", [c.anchor for c in cells])
    out.insert(0, "family", [c.family for c in cells])
    return out


def imputations_frame(results: Sequence[ScenarioResult]) -> pd.DataFrame:
    """The imputed count pairs of every scenario, one row per scenario and distinct pair."""
    parts = [(r.scenario.name, *r.pair_counts()) for r in results if r.responders]
    columns = ["scenario", "r_heroin", "r_methadone", "draws"]
    if not parts:
        return pd.DataFrame(columns=columns)
    names, pairs, draws = zip(*parts, strict=True)
    pairs = np.concatenate(pairs)
    return pd.DataFrame(
        {
            "scenario": [name for name, d in zip(names, draws, strict=True) for _ in d],
            "r_heroin": pairs[:, 0],
            "r_methadone": pairs[:, 1],
            "draws": np.concatenate(draws),
        },
        columns=columns,
    )
