# Helpers shared by the rules: names derived from the validated config, nothing else.
import re

from snakemake.exceptions import WorkflowError

from hatmeta.config import cross_reference_problems

_problems = cross_reference_problems(config)
if _problems:
    raise WorkflowError("config has inconsistent entries:\n" + "\n".join(_problems))

ANALYSES = list(config["analyses"])
EVIDENCE_SETS = list(config["evidence"]["run"])
PRIORS = list(config["priors"]["heterogeneity"])
FIT_FILES = ("posterior.nc", "summary.csv", "diagnostics.json", "loo.csv", "trials.csv")


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
    evidence="|".join(map(re.escape, EVIDENCE_SETS)),
    prior="|".join(map(re.escape, PRIORS)),


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
