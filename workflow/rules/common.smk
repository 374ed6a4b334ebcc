# Helpers shared by the rules: names derived from the validated config, nothing else.
import re

from snakemake.exceptions import WorkflowError

from hatmeta.config import cross_reference_problems
from hatmeta.grid import tipping_batches

_problems = cross_reference_problems(config)
if _problems:
    raise WorkflowError("config has inconsistent entries:\n" + "\n".join(_problems))

ANALYSES = list(config["analyses"])
EVIDENCE_SETS = list(config["evidence"]["run"])
PRIORS = list(config["priors"]["heterogeneity"])
SCENARIOS = list(config.get("riott", {}).get("scenarios", {}))
HEROIN = list(config.get("riott", {}).get("tipping", {}).get("heroin_scenarios", []))
# The tipping grid's cells in batches, one job per batch and heroin-arm scenario.
TIPPING_BATCHES = (
    tipping_batches(config["riott"]["tipping"], config["riott"]["tipping"]["cells_per_job"])
    if "riott" in config
    else []
)
FIT_FILES = ("posterior.nc", "summary.csv", "diagnostics.json", "loo.csv", "trials.csv")


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
    evidence="|".join(map(re.escape, EVIDENCE_SETS)),
    prior="|".join(map(re.escape, PRIORS)),
    scenario="|".join(map(re.escape, SCENARIOS)) or "^$",
    heroin="|".join(map(re.escape, HEROIN)) or "^$",
    batch=r"\d+",


ANALYSIS_TABLE = "results/data/analyses/{evidence}/{analysis}.csv"


def analysis_tables():
    return expand(
        ANALYSIS_TABLE,
        evidence=EVIDENCE_SETS,
        analysis=ANALYSES,
    )


def extract_outputs():
    return [
        "results/data/harmonised.csv",
        "results/data/audit.csv",
        *analysis_tables(),
    ]


def fit_outputs(prior):
    """Every fit file of every analysis and evidence set under ``prior`` (may be a pattern)."""
    return expand(
        "results/fits/{evidence}/{analysis}/{prior}/{file}",
        evidence=EVIDENCE_SETS,
        analysis=ANALYSES,
        prior=prior,
        file=FIT_FILES,
    )


def model_config():
    """The config keys the model fits depend on (a change to any of them re-runs the fits)."""
    keys = ("outcomes", "analyses", "comparison", "sampler", "diagnostics",
            "clinically_relevant_odds_ratio")
    return {key: config[key] for key in keys} | {
        "priors": {k: v for k, v in config["priors"].items() if k != "heterogeneity"}
    }


def figure_config():
    """The config keys the figures depend on."""
    keys = ("outcomes", "analyses", "comparison", "priors")
    return {key: config[key] for key in keys}


def riott_settings():
    """RIOTT settings shared by every scenario job (not the scenarios themselves, so that
    editing one scenario re-runs only that scenario's job)."""
    return {k: v for k, v in config["riott"].items() if k not in ("scenarios", "tipping")}


def riott_pooled_table():
    """The analysis table into which RIOTT's scenarios are carried (main evidence set)."""
    analysis = config["riott"]["tipping"]["analysis"]
    return f"results/data/analyses/{EVIDENCE_SETS[0]}/{analysis}.csv"


def batch_cells(wildcards):
    """The tipping-grid cells of one batch job."""
    return TIPPING_BATCHES[int(wildcards.batch)]


def tipping_cell_batches():
    """Every batch file of the tipping grid (all heroin-arm scenarios)."""
    return expand(
        "results/sensitivity/tipping/{heroin}/cells_{batch}.csv",
        heroin=HEROIN,
        batch=range(len(TIPPING_BATCHES)),
    )


def sensitivity_outputs():
    """Everything the RIOTT sensitivity analysis produces (empty without a riott section)."""
    if "riott" not in config:
        return []
    return [
        *rules.riott_pooled.output,
        *rules.riott_figures.output,
    ]
