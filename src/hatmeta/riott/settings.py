"""The config's ``riott`` section as typed settings (NamedTuples, see :mod:`hatmeta.config`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from hatmeta.config import undefined


class Scenario(NamedTuple):
    """One named missing-test scenario; ``None`` takes the section's default."""

    name: str
    imor_heroin: float
    imor_methadone: float
    missing_share_heroin: float | None = None
    missing_share_methadone: float | None = None
    anchor_reading: str | None = None
    sigma_provide: float | None = None
    rho: float | None = None


class Tipping(NamedTuple):
    """The tipping grid: oral-methadone missing share x IMOR, heroin arm at each scenario."""

    heroin_scenarios: tuple[str, ...]
    share_from: float
    share_to: float
    share_steps: int
    imor_methadone: tuple[float, ...]
    analysis: str
    benefit_probability: float
    cells_per_job: int


class RiottSettings(NamedTuple):
    trial: str
    measure: str
    retention_measure: str
    treatment_arm: str
    control_arm: str
    excess_missing_percent: float
    missing_share_heroin: float
    anchor_reading: str
    sigma_provide: float
    rho: float
    draws: int
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


def riott_settings(section: Mapping[str, Any]) -> RiottSettings:
    """Typed settings of a validated ``riott`` config section."""
    tipping = section["tipping"]
    shares = tipping["missing_share_methadone"]
    return RiottSettings(
        trial=section["trial"],
        measure=section["measure"],
        retention_measure=section["retention_measure"],
        treatment_arm=section["arms"]["treatment"],
        control_arm=section["arms"]["control"],
        excess_missing_percent=float(section["excess_missing_percent"]),
        missing_share_heroin=float(section["missing_share_heroin"]),
        anchor_reading=section["anchor_reading"],
        sigma_provide=float(section["sigma_provide"]),
        rho=float(section["rho"]),
        draws=int(section["draws"]),
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


def riott_problems(config: Mapping[str, Any]) -> list[str]:
    """Names the ``riott`` section uses that must be defined elsewhere in the config."""
    riott = config["riott"]
    problems = []
    if not config["data"].get("riott_testing"):
        problems.append("  - data/riott_testing: required when the config has a riott section")
    for name in riott.get("tipping", {}).get("heroin_scenarios", []):
        if name not in riott["scenarios"]:
            problems.append(
                undefined(
                    "riott/tipping/heroin_scenarios", name, "riott/scenarios", riott["scenarios"]
                )
            )
    analysis = riott.get("tipping", {}).get("analysis")
    if analysis is not None and analysis not in config["analyses"]:
        problems.append(
            undefined("riott/tipping/analysis", analysis, "analyses", config["analyses"])
        )
    return problems
