"""The workflow configuration: read, validated, cross-checked and handed out as typed settings.

``config/schema.yaml`` is the only source of defaults: :func:`validate` fills them with
Snakemake's own ``snakemake.utils.validate(..., set_default=True)``, the same call the Snakefile
makes, so the workflow, the notebooks and the tests see one configuration. Checks that span
several keys (a name used in one place must be defined in another) follow in
:func:`hatmeta.config_checks.cross_reference_problems`.

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

from hatmeta.config_checks import cross_reference_problems, keyed, schema_problems
from hatmeta.yamltext import Positions, YamlFileError, read_yaml

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
    trials: str | None = None
    risk_of_bias: str | None = None
    rob2_answers: str | None = None


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
    #: Trial attributes kept and left out, as ``((attribute, (value, ...)), ...)`` (schema).
    select: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[tuple[str, tuple[str, ...]], ...] = ()


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


class Checks(NamedTuple):
    """What the start-up checks of the extraction sheet refuse."""

    #: ``stop`` or ``warn`` when an analysis of the main evidence set has no trial with counts.
    analysis_without_data: str
    #: Percentage points a percentage from multiple imputation may be from its counts.
    imputation_tolerance: float


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


class RateSettings(NamedTuple):
    """The rate model of event counts: rates are reported per ``per_person_years``."""

    per_person_years: float = 100.0


def primary_analyses(analyses: Mapping[str, Analysis]) -> list[str]:
    """The first analysis listed for each outcome; the others are its sensitivity analyses
    (the trial flow counts the primary ones, the summary of findings labels the others)."""
    first: dict[str, str] = {}
    for name, analysis in analyses.items():
        first.setdefault(analysis.outcome.name, name)
    return list(first.values())


def sensitivity_of(analyses: Mapping[str, Analysis]) -> dict[str, str]:
    """Each sensitivity analysis (every analysis after the first of its outcome) with its
    primary analysis (:func:`primary_analyses`)."""
    primary = {analyses[name].outcome.name: name for name in primary_analyses(analyses)}
    return {
        name: primary[analysis.outcome.name]
        for name, analysis in analyses.items()
        if primary[analysis.outcome.name] != name
    }


class ExtraBaseline(NamedTuple):
    """A further control risk the summary of findings shows absolute effects at."""

    label: str
    value: float
    source: str


class Override(NamedTuple):
    """The panel's level for one domain of one analysis, replacing the domain's rule."""

    level: int
    reason: str


class CertaintySettings(NamedTuple):
    """Everything the GRADE certainty stage depends on (:mod:`hatmeta.certainty`): the
    analyses and arms it words, and each domain's thresholds, as configured under
    ``certainty`` (defaults in the schema). Kept apart from the model's settings so that a
    changed threshold or override re-runs only the certainty stage and the report."""

    analyses: dict[str, Analysis]
    treatment_label: str
    control_label: str
    comparator_controls: tuple[str, ...]
    relevant_or: float
    sparse_data: SparseData
    #: How the plain-language statements name each outcome (by outcome name).
    outcome_labels: dict[str, str]
    #: Reasons for indirectness: of an outcome (surrogate, composite) and of an analysis.
    outcome_indirect: dict[str, str]
    analysis_indirect: dict[str, str]
    baseline_risks: dict[str, tuple[ExtraBaseline, ...]]
    rob_serious_share: float
    rob_very_serious_high_share: float
    #: RoB 2: some concerns in at least this many domains is high overall (None: never), and
    #: the review's reason.
    rob_several_concerns_high: int | None
    rob_several_concerns_reason: str
    tau_serious: float
    tau_very_serious: float
    prediction_interval: bool
    indirect_very_serious_with_two: bool
    relative_risk_reduction: float
    alpha: float
    power: float
    publication_min_trials: int
    publication_p: float
    publication_predictor: str
    #: ``overrides[analysis][domain]``
    overrides: dict[str, dict[str, Override]]


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
    checks: Checks
    riott: RiottSettings | None
    rates: RateSettings = RateSettings()
    certainty: CertaintySettings | None = None

    def analysis(self, name: str) -> Analysis:
        return self.analyses[name]

    def prior(self, name: str) -> PriorSpec:
        return self.priors[name]

    @property
    def extract(self) -> ExtractSettings:
        return ExtractSettings(
            self.outcomes,
            self.analyses,
            self.comparison,
            self.evidence,
            self.checks,
            self.data.trials,
        )


class ExtractSettings(NamedTuple):
    """What the extract stage depends on."""

    outcomes: dict[str, Outcome]
    analyses: dict[str, Analysis]
    comparison: Comparison
    evidence: Evidence
    checks: Checks
    #: The trials table (``data/trials``), read beside the sheet; None when not configured.
    trials: str | None = None


def _labels(comparison: Mapping[str, Any]) -> tuple[str, str]:
    """Report names of the treatment and of the control arms (default: the arm names)."""
    labels = comparison.get("labels", {})
    treatment = labels.get(comparison["treatment_arm"], comparison["treatment_arm"])
    controls = [labels.get(arm, arm) for arm in comparison["control_arms"]]
    control = comparison.get("control_label") or " or ".join(dict.fromkeys(controls))
    return treatment, control


def _attributes(spec: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """An analysis's ``select`` or ``exclude`` as nested tuples (hashable, stable repr)."""
    return tuple((key, tuple(map(str, values))) for key, values in spec.items())


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
            trials=tuple(spec.get("trials", ())),
            primary_prior=spec.get("primary_prior", primary),
            note=spec.get("note", ""),
            one_definition=bool(spec["one_definition"]),
            select=_attributes(spec.get("select", {})),
            exclude=_attributes(spec.get("exclude", {})),
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
        checks=Checks(
            config["checks"]["analysis_without_data"],
            float(config["checks"]["imputation_tolerance"]),
        ),
        riott=_riott(config),
        rates=RateSettings(float(config["rates"]["per_person_years"])),
        certainty=_certainty(config, analyses, treatment_label, control_label),
    )


def _certainty(
    config: Mapping[str, Any], analyses: dict[str, Analysis], treatment: str, control: str
) -> CertaintySettings:
    section = config["certainty"]
    rob, inconsistency = section["risk_of_bias"], section["inconsistency"]
    imprecision, publication = section["imprecision"], section["publication_bias"]
    outcomes = config["outcomes"]
    return CertaintySettings(
        analyses=analyses,
        treatment_label=treatment,
        control_label=control,
        comparator_controls=tuple(config["comparison"]["comparator_sensitivity"]),
        relevant_or=float(config["clinically_relevant_odds_ratio"]),
        sparse_data=SparseData(**config["sparse_data"]),
        outcome_labels={name: spec["label"] for name, spec in outcomes.items() if "label" in spec},
        outcome_indirect={
            name: spec["indirect"]["reason"]
            for name, spec in outcomes.items()
            if "indirect" in spec
        },
        analysis_indirect={
            name: spec["indirect"]["reason"]
            for name, spec in config["analyses"].items()
            if "indirect" in spec
        },
        baseline_risks={
            name: tuple(ExtraBaseline(**b) for b in spec.get("baseline_risks", []))
            for name, spec in outcomes.items()
        },
        rob_serious_share=float(rob["serious_share"]),
        rob_very_serious_high_share=float(rob["very_serious_high_share"]),
        rob_several_concerns_high=(
            int(rob["several_concerns_high"]["domains"]) if "several_concerns_high" in rob else None
        ),
        rob_several_concerns_reason=rob.get("several_concerns_high", {}).get("reason", ""),
        tau_serious=float(inconsistency["tau_serious"]),
        tau_very_serious=float(inconsistency["tau_very_serious"]),
        prediction_interval=bool(inconsistency["prediction_interval"]),
        indirect_very_serious_with_two=bool(
            section["indirectness"]["very_serious_with_two_reasons"]
        ),
        relative_risk_reduction=float(imprecision["relative_risk_reduction"]),
        alpha=float(imprecision["alpha"]),
        power=float(imprecision["power"]),
        publication_min_trials=int(publication["min_trials"]),
        publication_p=float(publication["p_threshold"]),
        publication_predictor=publication["predictor"],
        overrides={
            name: {domain: Override(int(o["level"]), o["reason"]) for domain, o in spec.items()}
            for name, spec in section["overrides"].items()
        },
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


def validate(
    config: dict,
    schema_path: Path = SCHEMA_PATH,
    source: str = "config",
    positions: Positions | None = None,
) -> dict:
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
        lines = [keyed(*p, positions) for p in schema_problems(config, schema_path)]
        raise ConfigError(f"{source} does not match {schema_path}:\n" + "\n".join(lines)) from None
    problems = cross_reference_problems(config)
    if "riott" in config:  # the review-specific section checks its own names
        from hatmeta.riott.settings import riott_problems

        problems += riott_problems(config)
    if problems:
        lines = [keyed(*p, positions) for p in problems]
        raise ConfigError(f"{source} has inconsistent entries:\n" + "\n".join(lines))
    return config


def read(path: str | Path) -> tuple[dict, Positions]:
    """A config file's settings (not yet validated) and where each key is written."""
    try:
        config, positions = read_yaml(path, "config file")
    except YamlFileError as err:
        raise ConfigError(str(err)) from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return config, positions


def read_workflow_config(
    config: dict, configfiles: list, default: str = "config/config.yaml"
) -> tuple[str, Positions]:
    """Fill the workflow's ``config`` in place from its file; return its name and positions.

    With no ``--configfile``, hatmeta reads ``config["review"]`` (``--config review=...``) or
    ``default`` itself, strictly, and lays the other ``--config`` values over it. Snakemake
    reads a ``--configfile`` before the workflow starts; it is read again here only to refuse a
    key written twice.
    """
    from snakemake.utils import update_config

    if configfiles:
        if "review" in config:
            raise ConfigError(
                "give a review's config with --config review=... or --configfile, not both"
            )
        positions: Positions = {}
        for path in configfiles:  # a later file's key overrides an earlier one's
            positions.update(read(path)[1])
        return ", ".join(map(str, configfiles)), positions
    path = str(config.pop("review", default))
    loaded, positions = read(path)
    update_config(loaded, config)
    config.clear()
    config.update(loaded)
    return path, positions


def load(path: str | Path = "config/config.yaml") -> dict:
    """Read, validate and default a configuration file."""
    config, positions = read(path)
    return validate(config, source=str(path), positions=positions)


def load_settings(path: str | Path = "config/config.yaml") -> Settings:
    """Typed settings of a configuration file (notebooks, tests, benchmark)."""
    return settings(load(path))
