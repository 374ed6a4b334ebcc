"""The workflow configuration: read, validated, cross-checked and handed out as typed settings.

``config/schema.yaml`` is the only source of defaults: :func:`validate` fills them with
Snakemake's own ``snakemake.utils.validate(..., set_default=True)``, the same call the Snakefile
makes, so the workflow, the notebooks and the tests see one configuration. Checks that span
several keys (a name used in one place must be defined in another) follow in
:func:`hatmeta.config_checks.cross_reference_problems`.

The library never sees the raw nested dicts. :func:`settings` turns the validated config into
small typed settings with accessors (an analysis carries its outcome and primary prior), defined
in :mod:`hatmeta.config_types` and imported from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hatmeta.config_checks import cross_reference_problems, keyed, schema_problems
from hatmeta.config_types import (
    Analysis,
    CertaintySettings,
    Checks,
    Comparison,
    DataFiles,
    Evidence,
    ExtraBaseline,
    ExtractSettings,
    Gate,
    ModelSettings,
    Outcome,
    Override,
    PriorSpec,
    RateSettings,
    ReportSettings,
    Sampler,
    Settings,
    SparseData,
    Treatments,
    primary_analyses,
    sensitivity_of,
)
from hatmeta.yamltext import Positions, YamlFileError, read_yaml

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

#: The typed settings (:mod:`hatmeta.config_types`) are imported from here too.
__all__ = [
    "SCHEMA_PATH",
    "Analysis",
    "CertaintySettings",
    "Checks",
    "Comparison",
    "ConfigError",
    "DataFiles",
    "Evidence",
    "ExtraBaseline",
    "ExtractSettings",
    "Gate",
    "ModelSettings",
    "Outcome",
    "Override",
    "PriorSpec",
    "RateSettings",
    "ReportSettings",
    "Sampler",
    "Settings",
    "SparseData",
    "load",
    "load_settings",
    "primary_analyses",
    "read",
    "read_workflow_config",
    "sensitivity_of",
    "settings",
    "validate",
]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


class ConfigError(ValueError):
    """The configuration is malformed; the message names the file, the key and the problem."""


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
        treatments=Treatments(
            dict(config["treatments"]["labels"]),
            config["treatments"].get("reference") or comparison["control_arms"][0],
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
