"""Checks of a config on its own: where it does not match the schema, and names used in one
place that another does not define. Each problem is a ``(key/path, message)`` pair;
:func:`keyed` writes it as one line, at the line and column where the key is written when the
file's positions are known (the start-up checks of :mod:`hatmeta.preflight` write theirs so too).
A review-specific section checks its own names (:func:`hatmeta.riott.settings.riott_problems`,
called by :func:`hatmeta.config.validate`), so this module imports no review's package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from hatmeta.yamltext import Positions, locate

#: One problem: the key path (``a/b/0``) and what is wrong with its value.
Problem = tuple[str, str]


def keyed(key: str | Sequence, message: str, positions: Positions | None, source: str = "") -> str:
    """``  - <where>, key/path: message``, where is the key's file, line and column (else
    ``source``, else nothing)."""
    path = key.split("/") if isinstance(key, str) else list(map(str, key))
    where = locate(positions or {}, path) or source
    return f"  - {where + ', ' if where else ''}{'/'.join(path)}: {message}"


def schema_problems(config: Mapping[str, Any], schema_path: Path) -> list[Problem]:
    """Every place where ``config`` does not match the schema."""
    import jsonschema

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    return [("/".join(map(str, e.absolute_path)) or "(top level)", _message(e)) for e in errors]


def _message(error) -> str:
    """The schema error's message; "needs one of ..." for a choice of required keys (the
    validator's own message would print the whole value)."""
    options = error.schema.get("anyOf", []) if error.validator == "anyOf" else []
    if options and all(set(option) == {"required"} for option in options):
        keys = [key for option in options for key in option["required"]]
        return f"needs one of the keys {', '.join(keys)}"
    return error.message


def undefined(key: str, value: str, where: str, defined) -> Problem:
    return key, f"'{value}' is not defined under {where} (defined: {', '.join(defined)})"


def cross_reference_problems(config: Mapping[str, Any]) -> list[Problem]:
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
    for name, analysis in config["analyses"].items():
        for key in ("select", "exclude"):
            if key in analysis and "trials" not in config["data"]:
                problems.append(
                    (f"analyses/{name}/{key}", "selecting trials by attribute needs data/trials")
                )
    labels = config.get("treatments", {}).get("labels", {})
    reference = config.get("treatments", {}).get("reference")
    if labels and reference is not None and reference not in labels:
        problems.append(undefined("treatments/reference", reference, "treatments/labels", labels))
    checked = config.get("report", {}).get("model_checks_analysis")
    if checked is not None and checked not in config["analyses"]:
        problems.append(
            undefined("report/model_checks_analysis", checked, "analyses", config["analyses"])
        )
    for name in config.get("certainty", {}).get("overrides", {}):
        if name not in config["analyses"]:
            problems.append(
                undefined(f"certainty/overrides/{name}", name, "analyses", config["analyses"])
            )
    problems += network_problems(config)
    return problems


def network_problems(config: Mapping[str, Any]) -> list[Problem]:
    """Names a network uses that the config does not define (``(key, message)`` pairs)."""
    problems = []
    outcomes, analyses = config["outcomes"], config["analyses"]
    priors = config["priors"]["heterogeneity"]
    for name, spec in (config.get("networks") or {}).items():
        key = f"networks/{name}"
        if spec["outcome"] not in outcomes:
            problems.append((f"{key}/outcome", f"'{spec['outcome']}' is not under outcomes"))
        if "prior" in spec and spec["prior"] not in priors:
            message = f"'{spec['prior']}' is not under priors/heterogeneity"
            problems.append((f"{key}/prior", message))
        if "pairwise" in spec and spec["pairwise"] not in analyses:
            problems.append((f"{key}/pairwise", f"'{spec['pairwise']}' is not under analyses"))
        for part in ("select", "exclude"):
            if part in spec and "trials" not in config["data"]:
                message = "selecting trials by attribute needs data/trials"
                problems.append((f"{key}/{part}", message))
        for i, (a, b) in enumerate(spec.get("pairs", ())):
            if a == b:
                problems.append((f"{key}/pairs/{i}", f"compares {a} with itself"))
    return problems
