"""Every results path of the workflow, defined once.

``workflow/rules/common.smk`` expands these patterns into the rules' inputs and outputs, the
notebooks use them for their defaults, and adapters use :func:`index` to key the files a rule
hands them by their wildcards. Library functions never build a path themselves: they take paths
or frames.

Patterns use Snakemake's ``{wildcard}`` syntax and are relative to the working directory. A
review-specific stage keeps its own patterns in its package (``hatmeta.riott.layout``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple

# Extract stage
HARMONISED = "results/data/harmonised.csv"
AUDIT = "results/data/audit.csv"
ANALYSIS_TABLE = "results/data/analyses/{evidence}/{analysis}.csv"

# Study flow (with a trials table): characteristics, trial x analysis, counts per stage
CHARACTERISTICS = "results/data/characteristics.csv"
TRIAL_FLOW = "results/data/trial_flow.csv"
TRIAL_FLOW_COUNTS = "results/data/trial_flow_counts.csv"
TRIAL_FLOW_FIGURE = "results/figures/trial_flow.png"

# Modelling stage: one directory per evidence set x analysis x heterogeneity prior
FIT = "results/fits/{evidence}/{analysis}/{prior}/"
FIT_POSTERIOR = FIT + "posterior.nc"
FIT_SUMMARY = FIT + "summary.csv"
FIT_DIAGNOSTICS = FIT + "diagnostics.json"
FIT_LOO = FIT + "loo.csv"
FIT_TRIALS = FIT + "trials.csv"

# Rate stage: analyses whose counts are events, pooled as events over person-time (one
# directory per evidence set x analysis, under the analysis's primary prior)
RATES = "results/fits/{evidence}/{analysis}/rates.csv"
RATES_DIAGNOSTICS = "results/fits/{evidence}/{analysis}/rates_diagnostics.json"
RATE_FILES = (RATES, RATES_DIAGNOSTICS)

# Classical reproduction and figures
CLASSICAL = "results/classical/{evidence}/{analysis}.csv"
PUBLISHED_COMPARISON = "results/classical/published_comparison.csv"
FOREST = "results/figures/{evidence}/forest_{analysis}.png"
PRIOR_SENSITIVITY = "results/figures/{evidence}/prior_sensitivity_{analysis}.png"
RANK_PLOT = "results/figures/{evidence}/rank_{analysis}.png"
FUNNEL = "results/figures/{evidence}/funnel_{analysis}.png"

# Certainty of evidence (GRADE): one row per analysis
CERTAINTY = "results/certainty/{evidence}/certainty.csv"
#: Risk of bias: the judgements the certainty used (per trial, outcome and domain, with their
#: origin) and each analysis's weighted shares by domain and judgement, with their figures.
ROB_JUDGEMENTS = "results/certainty/{evidence}/risk_of_bias.csv"
ROB_SHARES = "results/certainty/{evidence}/risk_of_bias_shares.csv"
ROB_TRAFFIC_LIGHT = "results/figures/{evidence}/rob_traffic_light.png"
ROB_SUMMARY = "results/figures/{evidence}/rob_summary.png"

# Network meta-analysis: one directory per evidence set x network (config networks)
NETWORK = "results/network/{evidence}/{network}/"
NETWORK_ARMS = NETWORK + "arms.csv"
NETWORK_LEAGUE = NETWORK + "league.csv"
NETWORK_VERSUS_REFERENCE = NETWORK + "versus_reference.csv"
NETWORK_RANKS = NETWORK + "ranks.csv"
NETWORK_MODEL_FIT = NETWORK + "model_fit.csv"
NETWORK_CONSISTENCY = NETWORK + "consistency.csv"
NETWORK_DIAGNOSTICS = NETWORK + "diagnostics.json"
NETWORK_PLOT = "results/figures/{evidence}/network_{network}.png"
NETWORK_FOREST = "results/figures/{evidence}/network_forest_{network}.png"


class NetworkFiles(NamedTuple):
    """The files of one network analysis (see the ``NETWORK_*`` patterns)."""

    arms: str
    league: str
    versus_reference: str
    ranks: str
    model_fit: str
    consistency: str
    diagnostics: str
    plot: str
    forest: str


NETWORK_FILES = NetworkFiles(
    NETWORK_ARMS,
    NETWORK_LEAGUE,
    NETWORK_VERSUS_REFERENCE,
    NETWORK_RANKS,
    NETWORK_MODEL_FIT,
    NETWORK_CONSISTENCY,
    NETWORK_DIAGNOSTICS,
    NETWORK_PLOT,
    NETWORK_FOREST,
)


def network_files(evidence: str, network: str) -> NetworkFiles:
    """The files of one network analysis."""
    return NetworkFiles(*(fill(p, evidence=evidence, network=network) for p in NETWORK_FILES))


# Report and reviewing notebooks
REPORT = "results/report/report.html"
#: The GRADE summary of findings of the main evidence set, and the Bayesian detail table.
SUMMARY_OF_FINDINGS = "results/report/summary_of_findings.csv"
BAYESIAN_SUMMARY = "results/report/bayesian_summary.csv"
#: The network comparisons of the summary of findings (with networks in the config).
NETWORK_SUMMARY_OF_FINDINGS = "results/report/network_summary_of_findings.csv"
PROVENANCE = "results/report/provenance.json"
#: The Vega library, inlined into the report when it has an interactive view.
VEGA = "results/report/vega.js"
NOTEBOOK_IPYNB = "results/notebooks/{notebook}.ipynb"
NOTEBOOK_HTML = "results/notebooks/{notebook}.html"
# The config a notebook was executed with (the run's, less the sections it does not show): its
# parameters cell names this file, so that re-running the executed notebook reads the same.
NOTEBOOK_CONFIG = "results/notebooks/{notebook}.config.yaml"


class FitFiles(NamedTuple):
    """The files of one fit (see the ``FIT_*`` patterns)."""

    posterior: str
    summary: str
    diagnostics: str
    loo: str
    trials: str


FIT_FILES = FitFiles(FIT_POSTERIOR, FIT_SUMMARY, FIT_DIAGNOSTICS, FIT_LOO, FIT_TRIALS)


def fill(pattern: str, **wildcards: object) -> str:
    """The path of ``pattern`` with its wildcards filled in."""
    return pattern.format(**wildcards)


def fit_files(evidence: str, analysis: str, prior: str) -> FitFiles:
    """The files of one fit."""
    return FitFiles(
        *(fill(p, evidence=evidence, analysis=analysis, prior=prior) for p in FIT_FILES)
    )


@cache
def _regex(pattern: str) -> tuple[re.Pattern, tuple[str, ...]]:
    names = tuple(re.findall(r"{(\w+)}", pattern))
    parts = re.split(r"{\w+}", pattern)
    body = "".join(
        re.escape(part) + ("([^/]+?)" if i < len(names) else "") for i, part in enumerate(parts)
    )
    return re.compile(f"(?:.*/)?{body}$"), names


def wildcards(pattern: str, path: str) -> dict[str, str]:
    """The wildcard values of ``path`` under ``pattern`` (``ValueError`` if it does not fit)."""
    regex, names = _regex(pattern)
    match = regex.match(str(path))
    if match is None:
        raise ValueError(f"{path} does not follow the results layout {pattern}")
    return dict(zip(names, match.groups(), strict=True))


def index(pattern: str, paths: Iterable[str]) -> dict[str | tuple[str, ...], str]:
    """Paths keyed by their wildcard values: one value as itself, several as a tuple in the
    pattern's order. Paths that belong to another pattern are left out."""
    regex, names = _regex(pattern)
    out: dict[str | tuple[str, ...], str] = {}
    for path in paths:
        match = regex.match(str(path))
        if match is None:
            continue
        values = match.groups()
        out[values[0] if len(names) == 1 else values] = str(path)
    return out


def rates_index(paths: Iterable[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """Every complete rate fit among ``paths``: ``(evidence, analysis)`` to (rates,
    diagnostics)."""
    paths = list(paths)
    rates, diagnostics = (index(pattern, paths) for pattern in RATE_FILES)
    return {key: (rates[key], diagnostics[key]) for key in sorted(set(rates) & set(diagnostics))}


def fits_index(paths: Iterable[str]) -> dict[tuple[str, str, str], FitFiles]:
    """Every complete fit among ``paths``, keyed by ``(evidence, analysis, prior)``."""
    paths = list(paths)
    by_kind = [index(pattern, paths) for pattern in FIT_FILES]
    keys = set.intersection(*(set(kind) for kind in by_kind))
    return {key: FitFiles(*(kind[key] for kind in by_kind)) for key in sorted(keys)}
