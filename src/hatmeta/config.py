"""Read and check the workflow configuration outside Snakemake (notebooks, tests, benchmark).

Snakemake validates ``config/config.yaml`` against ``config/schema.yaml`` itself; this module
applies the same schema (with its defaults) and the cross-reference checks a JSON schema cannot
express, so that every entry point sees the same, checked configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


class ConfigError(ValueError):
    """The configuration is malformed; the message names the file, the key and the problem."""


def _with_defaults(validator_class):
    """A validator that fills in ``default`` values while validating (as Snakemake does)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def validate(config: dict, schema_path: Path = SCHEMA_PATH, source: str = "config") -> dict:
    """Validate ``config`` in place against the JSON schema, filling defaults, then cross-check.

    Raises
    ------
    ConfigError
        Naming the offending key path and what was expected.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"  - {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
            for e in errors
        ]
        raise ConfigError(f"{source} does not match {schema_path}:\n" + "\n".join(lines))
    problems = cross_reference_problems(config)
    if problems:
        raise ConfigError(f"{source} has inconsistent entries:\n" + "\n".join(problems))
    return config


def cross_reference_problems(config: Mapping[str, Any]) -> list[str]:
    """Checks that span several keys: names used in one place must be defined in another."""
    problems = []
    outcomes = config["outcomes"]
    priors = config["priors"]["heterogeneity"]
    for name, analysis in config["analyses"].items():
        if analysis["outcome"] not in outcomes:
            problems.append(
                f"  - analyses/{name}/outcome: '{analysis['outcome']}' is not defined under "
                f"outcomes (defined: {', '.join(outcomes)})"
            )
        primary = analysis.get("primary_prior")
        if primary is not None and primary not in priors:
            problems.append(
                f"  - analyses/{name}/primary_prior: '{primary}' is not defined under "
                f"priors/heterogeneity (defined: {', '.join(priors)})"
            )
    if config["priors"]["primary"] not in priors:
        problems.append(
            f"  - priors/primary: '{config['priors']['primary']}' is not defined under "
            f"priors/heterogeneity (defined: {', '.join(priors)})"
        )
    for name in config["evidence"]["run"]:
        if name not in config["evidence"]["sets"]:
            problems.append(
                f"  - evidence/run: '{name}' is not defined under evidence/sets "
                f"(defined: {', '.join(config['evidence']['sets'])})"
            )
    riott = config.get("riott")
    if riott:
        for name in riott.get("tipping", {}).get("heroin_scenarios", []):
            if name not in riott["scenarios"]:
                problems.append(
                    f"  - riott/tipping/heroin_scenarios: '{name}' is not defined under "
                    f"riott/scenarios (defined: {', '.join(riott['scenarios'])})"
                )
        analysis = riott.get("tipping", {}).get("analysis")
        if analysis is not None and analysis not in config["analyses"]:
            problems.append(
                f"  - riott/tipping/analysis: '{analysis}' is not defined under analyses"
            )
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


def primary_prior(config: Mapping[str, Any], analysis: str) -> str:
    """The heterogeneity prior whose results an analysis reports first."""
    return config["analyses"][analysis].get("primary_prior", config["priors"]["primary"])
