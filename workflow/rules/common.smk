# Helpers shared by the rules: names derived from the validated config, nothing else.
from snakemake.exceptions import WorkflowError

from hatmeta.config import cross_reference_problems

_problems = cross_reference_problems(config)
if _problems:
    raise WorkflowError("config has inconsistent entries:\n" + "\n".join(_problems))

ANALYSES = list(config["analyses"])
EVIDENCE_SETS = list(config["evidence"]["run"])


wildcard_constraints:
    analysis="|".join(ANALYSES),
    evidence="|".join(EVIDENCE_SETS),


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
