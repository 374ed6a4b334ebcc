# Helpers of workflow/rules/report.smk (kept apart: the linter wants rules and functions in
# separate files).
from pathlib import Path

from hatmeta.config import primary_prior

REPORT_TEMPLATE = str(Path(workflow.basedir) / "src/hatmeta/templates/report.html.j2")
NOTEBOOKS = ("extraction_audit", "model_checks", "riott_sensitivity")


def report_inputs():
    """Every results file the report reads (the sensitivity files only once they are in the DAG)."""
    main = EVIDENCE_SETS[0]
    return {
        "audit": "results/data/audit.csv",
        "fits": [fit_outputs(prior) for prior in PRIORS],
        "classical": expand("results/classical/{evidence}/{analysis}.csv",
                            evidence=EVIDENCE_SETS, analysis=ANALYSES),
        "figures": expand("results/figures/{evidence}/{kind}_{analysis}.png",
                          evidence=main, kind=("forest", "prior_sensitivity"), analysis=ANALYSES),
        "published": "results/classical/published_comparison.csv",
        "sensitivity": sensitivity_outputs(),
        "template": REPORT_TEMPLATE,
    }

# The model-checks notebook's analysis: illicit heroin use when the config has it.
NOTEBOOK_ANALYSIS = "illicit_heroin" if "illicit_heroin" in ANALYSES else ANALYSES[0]
# The RIOTT notebook only for configs with a `riott` section.
ACTIVE_NOTEBOOKS = [nb for nb in NOTEBOOKS if nb != "riott_sensitivity" or "riott" in config]


def notebook_inputs(wildcards):
    """The notebook's source and the results it reads."""
    # The source lives in the repository, which need not be the working directory.
    source = str(Path(workflow.basedir) / f"workflow/notebooks/{wildcards.notebook}.py")
    if wildcards.notebook == "extraction_audit":
        return [source, "results/data/audit.csv", "results/data/harmonised.csv",
                *analysis_tables()]
    if wildcards.notebook == "model_checks":
        return [
            source,
            *expand("results/fits/{evidence}/{analysis}/{prior}/{file}",
                    evidence=EVIDENCE_SETS[0], analysis=NOTEBOOK_ANALYSIS,
                    prior=primary_prior(config, NOTEBOOK_ANALYSIS), file=FIT_FILES),
            f"results/data/analyses/{EVIDENCE_SETS[0]}/{NOTEBOOK_ANALYSIS}.csv",
        ]
    return [source, "results/data/harmonised.csv", config["data"]["riott_testing"],
            *sensitivity_outputs()]


def notebook_parameters(wildcards):
    """Values injected after the notebook's `parameters` cell."""
    if wildcards.notebook == "model_checks":
        return {"analysis": NOTEBOOK_ANALYSIS, "evidence": EVIDENCE_SETS[0]}
    return {}


def report_outputs():
    return [
        *rules.report.output,
        *expand(rules.notebook.output, notebook=ACTIVE_NOTEBOOKS),
    ]
