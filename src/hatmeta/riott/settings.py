"""The config's ``riott`` section as typed settings (NamedTuples, see :mod:`hatmeta.config`).

Every assumption the RIOTT analysis makes is here, with its default and its range: the heroin
arm's share of missed tests, how the commentary's "an extra 43%" is read, the spread of
attendance between patients (``sigma_provide``) and its correlation with testing negative
(``rho``), and each arm's informative missingness odds ratio (IMOR).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from hatmeta.config_checks import Problem, undefined


class Scenario(NamedTuple):
    """One set of assumptions; a field left ``None`` takes the section's default."""

    name: str
    imor_heroin: float
    imor_methadone: float
    missing_share_heroin: float | None = None
    missing_share_methadone: float | None = None
    anchor_reading: str | None = None
    sigma_provide: float | None = None
    rho: float | None = None


class Ranges(NamedTuple):
    """The values each unpublished structural assumption is varied over."""

    missing_share_heroin: tuple[float, ...]
    anchor_reading: tuple[str, ...]
    sigma_provide: tuple[float, ...]
    rho: tuple[float, ...]
    scenario: str  # the named scenario (its IMORs) at which the structure is varied


class Tipping(NamedTuple):
    """The tipping analysis: oral-methadone IMOR (and missing share), heroin arm held at each
    named scenario."""

    heroin_scenarios: tuple[str, ...]
    share_from: float
    share_to: float
    share_steps: int
    imor_methadone: tuple[float, ...]
    analysis: str
    benefit_probability: float
    cells_per_job: int


class PriorScales(NamedTuple):
    """The pooled model's prior SDs of the pooled log OR and of each trial's baseline: with the
    heterogeneity prior, all the bank (:mod:`hatmeta.riott.bank`) reads of the model settings."""

    effect_sd: float
    baseline_sd: float


class RiottSettings(NamedTuple):
    trial: str
    measure: str
    retention_measure: str
    treatment_arm: str
    control_arm: str
    missing_share_heroin: float
    anchor_reading: str
    sigma_provide: float
    rho: float
    ranges: Ranges
    leaver_missed_tests: int
    compatibility_alpha: float
    draws: int
    cell_draws: int
    seed: int
    scenarios: dict[str, Scenario]
    tipping: Tipping | None

    @property
    def arms(self) -> dict[str, str]:
        """Role -> arm name in the extraction sheet."""
        return {"treatment": self.treatment_arm, "control": self.control_arm}

    def shared(self) -> RiottSettings:
        """The settings every scenario job shares: without the scenarios and the grid, so that
        editing one scenario re-runs only that scenario's job."""
        return self._replace(scenarios={}, tipping=None)

    def for_cells(self) -> RiottSettings:
        """The settings the cells' summaries read: the named scenarios limited to those the
        cells are anchored at, so that editing another scenario leaves them alone."""
        anchors = {*self.tipping.heroin_scenarios, self.ranges.scenario}
        return self._replace(scenarios={k: v for k, v in self.scenarios.items() if k in anchors})

    def default_choice(self) -> dict[str, Any]:
        """What the tipping figures mark as the configured choice: the default heroin missing
        share and reading, and each heroin-arm scenario's own oral-methadone IMOR."""
        return {
            "missing_share_heroin": self.missing_share_heroin,
            "anchor_reading": self.anchor_reading,
            "imor_methadone": {
                name: float(self.scenarios[name].imor_methadone)
                for name in self.tipping.heroin_scenarios
            },
        }

    def resolved(self, scenario: Scenario) -> Scenario:
        """``scenario`` with every unset field taken from the section's defaults (the
        oral-methadone share stays unset when it follows from the anchor reading)."""
        return scenario._replace(
            missing_share_heroin=_or(scenario.missing_share_heroin, self.missing_share_heroin),
            anchor_reading=_or(scenario.anchor_reading, self.anchor_reading),
            sigma_provide=_or(scenario.sigma_provide, self.sigma_provide),
            rho=_or(scenario.rho, self.rho),
        )


def _or(value, default):
    return default if value is None else value


def riott_settings(section: Mapping[str, Any]) -> RiottSettings:
    """Typed settings of a validated ``riott`` config section."""
    tipping = section["tipping"]
    shares = tipping["missing_share_methadone"]
    ranges = section["ranges"]
    return RiottSettings(
        trial=section["trial"],
        measure=section["measure"],
        retention_measure=section["retention_measure"],
        treatment_arm=section["arms"]["treatment"],
        control_arm=section["arms"]["control"],
        missing_share_heroin=float(section["missing_share_heroin"]),
        anchor_reading=section["anchor_reading"],
        sigma_provide=float(section["sigma_provide"]),
        rho=float(section["rho"]),
        ranges=Ranges(
            missing_share_heroin=tuple(float(v) for v in ranges["missing_share_heroin"]),
            anchor_reading=tuple(ranges["anchor_reading"]),
            sigma_provide=tuple(float(v) for v in ranges["sigma_provide"]),
            rho=tuple(float(v) for v in ranges["rho"]),
            scenario=ranges["scenario"],
        ),
        leaver_missed_tests=int(section["leaver_missed_tests"]),
        compatibility_alpha=float(section["compatibility_alpha"]),
        draws=int(section["draws"]),
        cell_draws=int(section["cell_draws"]),
        seed=int(section["seed"]),
        scenarios={
            name: Scenario(name=name, **spec) for name, spec in section["scenarios"].items()
        },
        tipping=Tipping(
            heroin_scenarios=tuple(tipping["heroin_scenarios"]),
            share_from=float(shares["from"]),
            share_to=float(shares["to"]),
            share_steps=int(shares["steps"]),
            imor_methadone=tuple(float(x) for x in tipping["imor_methadone"]),
            analysis=tipping["analysis"],
            benefit_probability=float(tipping["benefit_probability"]),
            cells_per_job=int(tipping["cells_per_job"]),
        ),
    )


def riott_problems(config: Mapping[str, Any]) -> list[Problem]:
    """Names the ``riott`` section uses that must be defined elsewhere in the config."""
    riott = config["riott"]
    problems = []
    if not config["data"].get("riott_testing"):
        problems.append(("data/riott_testing", "required when the config has a riott section"))
    scenarios = riott["scenarios"]
    for name in riott.get("tipping", {}).get("heroin_scenarios", []):
        if name not in scenarios:
            problems.append(
                undefined("riott/tipping/heroin_scenarios", name, "riott/scenarios", scenarios)
            )
    structural = riott.get("ranges", {}).get("scenario")
    if structural is not None and structural not in scenarios:
        problems.append(
            undefined("riott/ranges/scenario", structural, "riott/scenarios", scenarios)
        )
    analysis = riott.get("tipping", {}).get("analysis")
    if analysis is not None and analysis not in config["analyses"]:
        problems.append(
            undefined("riott/tipping/analysis", analysis, "analyses", config["analyses"])
        )
    return problems
