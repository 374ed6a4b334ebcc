"""The workflow configuration: read, validated, cross-checked and handed out as typed settings.

``config/schema.yaml`` is the only source of defaults: :func:`validate` fills them with
Snakemake's own ``snakemake.utils.validate(..., set_default=True)``, the same call the Snakefile
makes, so the workflow, the notebooks and the tests see one configuration. Checks that span
several keys (a name used in one place must be defined in another) follow in
:func:`cross_reference_problems`.

The library never sees the raw nested dicts. :func:`settings` turns the validated config into
small typed settings with accessors (an analysis carries its outcome and primary prior). They are
``NamedTuple`` on purpose: Snakemake records a rule's ``params`` by their ``repr`` only when they
are builtin types, tuples included, so passing a settings object as a parameter re-runs a rule
exactly when its own settings change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


class ConfigError(ValueError):
    """The configuration is malformed; the message names the file, the key and the problem."""


# --------------------------------------------------------------------------------------------
# Typed settings
# --------------------------------------------------------------------------------------------


class DataFiles(NamedTuple):
    """The hand-entered inputs; optional stages run only when their file is configured."""

    extraction: str
    bibliography: str
    published_effects: str | None
    riott_testing: str | None


class Outcome(NamedTuple):
    name: str
    event: str
    higher_is_better: bool
    turner_outcome_type: str | None
    baseline_risk: float | None = None  # configured control risk for RR and RD, with its source
    baseline_source: str = ""


class Analysis(NamedTuple):
    """One analysis: the outcome it pools, from which measures and trials, under which prior."""

    name: str
    title: str
    outcome: Outcome
    measures: tuple[str, ...]
    trials: tuple[str, ...]
    primary_prior: str
    note: str
    one_definition: bool = False  # the measures are one definition (module evidence_rules)


class Comparison(NamedTuple):
    """The arms compared, and how the report names them."""

    treatment_arm: str
    control_arms: tuple[str, ...]
    turner_comparison: str
    treatment_label: str
    control_label: str


class PriorSpec(NamedTuple):
    """A heterogeneity prior as configured (resolved per analysis by :mod:`hatmeta.priors`)."""

    name: str
    family: str
    scale: float | None = None
    mean: float | None = None
    sd: float | None = None


class Sampler(NamedTuple):
    """NUTS settings: first draws per chain, the cap, and the step-size targets in order."""

    draws: int
    max_draws: int
    tune: int
    chains: int
    target_accept: tuple[float, ...]
    adaptation: str
    seed: int


class Gate(NamedTuple):
    """Convergence thresholds every fit must meet, and what a failure does."""

    r_hat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences_max: int
    on_failure: str


class Evidence(NamedTuple):
    """Named sets of statuses; every analysis is run on each set in ``run`` (``run[0]`` first)."""

    sets: dict[str, tuple[str, ...]]
    run: tuple[str, ...]

    @property
    def main(self) -> str:
        return self.run[0]


class SparseData(NamedTuple):
    """Below these counts an analysis is reported as insufficient evidence."""

    min_trials: int
    min_events: int


class ModelSettings(NamedTuple):
    """Everything a fit depends on (a change to any of it re-runs the fits)."""

    analyses: dict[str, Analysis]
    turner_comparison: str
    comparator_controls: tuple[str, ...]
    effect_sd: float
    baseline_sd: float
    relevant_or: float
    sampler: Sampler
    gate: Gate


class ReportSettings(NamedTuple):
    title: str
    model_checks_analysis: str


class Settings(NamedTuple):
    """The whole validated configuration, typed."""

    data: DataFiles
    outcomes: dict[str, Outcome]
    analyses: dict[str, Analysis]
    comparison: Comparison
    evidence: Evidence
    priors: dict[str, PriorSpec]
    model: ModelSettings
    report: ReportSettings
    sparse_data: SparseData
    riott: RiottSettings | None

    def analysis(self, name: str) -> Analysis:
        return self.analyses[name]

    def prior(self, name: str) -> PriorSpec:
        return self.priors[name]

    @property
    def extract(self) -> ExtractSettings:
        return ExtractSettings(self.outcomes, self.analyses, self.comparison, self.evidence)


class ExtractSettings(NamedTuple):
    """What the extract stage depends on."""

    outcomes: dict[str, Outcome]
    analyses: dict[str, Analysis]
    comparison: Comparison
    evidence: Evidence


def _labels(comparison: Mapping[str, Any]) -> tuple[str, str]:
    """Report names of the treatment and of the control arms (default: the arm names)."""
    labels = comparison.get("labels", {})
    treatment = labels.get(comparison["treatment_arm"], comparison["treatment_arm"])
    controls = [labels.get(arm, arm) for arm in comparison["control_arms"]]
    control = comparison.get("control_label") or " or ".join(dict.fromkeys(controls))
    return treatment, control


def settings(config: Mapping[str, Any]) -> Settings:
    """Typed settings of a validated config (see :func:`validate`)."""
    outcomes = {
        name: Outcome(
            name,
            spec["event"],
            spec["higher_is_better"],
            spec.get("turner_outcome_type"),
            spec.get("baseline_risk", {}).get("value"),
            spec.get("baseline_risk", {}).get("source", ""),
        )
        for name, spec in config["outcomes"].items()
    }
    primary = config["priors"]["primary"]
    analyses = {
        name: Analysis(
            name=name,
            title=spec["title"],
            outcome=outcomes[spec["outcome"]],
            measures=tuple(spec["measures"]),
            trials=tuple(spec["trials"]),
            primary_prior=spec.get("primary_prior", primary),
            note=spec.get("note", ""),
            one_definition=bool(spec["one_definition"]),
        )
        for name, spec in config["analyses"].items()
    }
    comparison = config["comparison"]
    treatment_label, control_label = _labels(comparison)
    report = config["report"]
    return Settings(
        data=DataFiles(**{key: config["data"].get(key) for key in DataFiles._fields}),
        outcomes=outcomes,
        analyses=analyses,
        comparison=Comparison(
            comparison["treatment_arm"],
            tuple(comparison["control_arms"]),
            comparison["turner_comparison"],
            treatment_label,
            control_label,
        ),
        evidence=Evidence(
            {name: tuple(s) for name, s in config["evidence"]["sets"].items()},
            tuple(config["evidence"]["run"]),
        ),
        priors={
            name: PriorSpec(name=name, **spec)
            for name, spec in config["priors"]["heterogeneity"].items()
        },
        model=ModelSettings(
            analyses=analyses,
            turner_comparison=comparison["turner_comparison"],
            comparator_controls=tuple(comparison["comparator_sensitivity"]),
            effect_sd=float(config["priors"]["effect_sd"]),
            baseline_sd=float(config["priors"]["baseline_sd"]),
            relevant_or=float(config["clinically_relevant_odds_ratio"]),
            sampler=Sampler(
                **{**config["sampler"], "target_accept": tuple(config["sampler"]["target_accept"])}
            ),
            gate=Gate(**config["diagnostics"]),
        ),
        report=ReportSettings(
            title=report.get("title") or f"{treatment_label} versus {control_label}",
            model_checks_analysis=report.get("model_checks_analysis") or next(iter(analyses)),
        ),
        sparse_data=SparseData(**config["sparse_data"]),
        riott=_riott(config),
    )


def _riott(config: Mapping[str, Any]) -> RiottSettings | None:
    """The review-specific RIOTT section, typed by its own package (None when absent)."""
    if "riott" not in config:
        return None
    from hatmeta.riott.settings import riott_settings

    return riott_settings(config["riott"])


# --------------------------------------------------------------------------------------------
# Reading and validating
# --------------------------------------------------------------------------------------------


def validate(config: dict, schema_path: Path = SCHEMA_PATH, source: str = "config") -> dict:
    """Validate ``config`` in place against the schema, filling its defaults, then cross-check.

    Defaults are filled by ``snakemake.utils.validate``, as in the Snakefile. When the config does
    not match, every mismatch is listed (Snakemake's own message names only the first).

    Raises
    ------
    ConfigError
        Naming each offending key path and what was expected.
    """
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate as snakemake_validate

    try:
        snakemake_validate(config, str(schema_path), set_default=True)
    except WorkflowError:
        raise ConfigError(
            f"{source} does not match {schema_path}:\n" + "\n".join(schema_problems(config))
        ) from None
    problems = cross_reference_problems(config)
    if problems:
        raise ConfigError(f"{source} has inconsistent entries:\n" + "\n".join(problems))
    return config


def schema_problems(config: Mapping[str, Any], schema_path: Path = SCHEMA_PATH) -> list[str]:
    """Every place where ``config`` does not match the schema, as ``key/path: message``."""
    import jsonschema

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    return [
        f"  - {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}" for e in errors
    ]


def undefined(key: str, value: str, where: str, defined) -> str:
    return f"  - {key}: '{value}' is not defined under {where} (defined: {', '.join(defined)})"


def cross_reference_problems(config: Mapping[str, Any]) -> list[str]:
    """Checks that span several keys: names used in one place must be defined in another."""
    problems = []
    outcomes = config["outcomes"]
    priors = config["priors"]["heterogeneity"]
    for name, analysis in config["analyses"].items():
        if analysis["outcome"] not in outcomes:
            problems.append(
                undefined(f"analyses/{name}/outcome", analysis["outcome"], "outcomes", outcomes)
            )
        primary = analysis.get("primary_prior")
        if primary is not None and primary not in priors:
            problems.append(
                undefined(f"analyses/{name}/primary_prior", primary, "priors/heterogeneity", priors)
            )
    if config["priors"]["primary"] not in priors:
        problems.append(
            undefined("priors/primary", config["priors"]["primary"], "priors/heterogeneity", priors)
        )
    for name in config["evidence"]["run"]:
        if name not in config["evidence"]["sets"]:
            problems.append(
                undefined("evidence/run", name, "evidence/sets", config["evidence"]["sets"])
            )
    controls = config["comparison"]["control_arms"]
    for arm in config["comparison"].get("comparator_sensitivity", []):
        if arm not in controls:
            problems.append(
                undefined(
                    "comparison/comparator_sensitivity", arm, "comparison/control_arms", controls
                )
            )
    checked = config.get("report", {}).get("model_checks_analysis")
    if checked is not None and checked not in config["analyses"]:
        problems.append(
            undefined("report/model_checks_analysis", checked, "analyses", config["analyses"])
        )
    if "riott" in config:
        from hatmeta.riott.settings import riott_problems

        problems += riott_problems(config)
    return problems


def load(path: str | Path = "config/config.yaml") -> dict:
    """Read, validate and default a configuration file."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return validate(config, source=str(path))


def load_settings(path: str | Path = "config/config.yaml") -> Settings:
    """Typed settings of a configuration file (notebooks, tests, benchmark)."""
    return settings(load(path))
