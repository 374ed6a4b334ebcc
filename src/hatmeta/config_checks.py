"""Checks of a config on its own: where it does not match the schema, and names used in one
place that another does not define. Each problem is one ``  - key/path: message`` line, placed
at the line and column where the key is written when the file's positions are known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hatmeta.yamltext import Positions, locate

_KEYED = re.compile(r"^  - ([^: ]+): (.*)$", re.S)


def located(problems: list[str], positions: Positions | None) -> list[str]:
    """Each ``  - key/path: message`` with the line and column where the key is written."""
    out = []
    for problem in problems:
        match = _KEYED.match(problem)
        where = locate(positions or {}, match.group(1).split("/")) if match else None
        out.append(problem if where is None else f"  - {where}, {match.group(1)}: {match.group(2)}")
    return out


def schema_problems(config: Mapping[str, Any], schema_path: Path) -> list[str]:
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
