# hatmeta: Bayesian evidence synthesis of supervised injectable heroin versus oral methadone.
# Run everything with `snakemake --cores 4`; see README.md for single targets and scenarios.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/classical.smk"
include: "workflow/rules/figures.smk"

# The RIOTT missing-test sensitivity analysis applies only to reviews that configure it.
if "riott" in config:

    include: "workflow/rules/sensitivity.smk"


# After the sensitivity rules: the report lists their outputs as inputs.
include: "workflow/rules/report.smk"


rule all:
    input:
        extract_outputs(),
        [fit_outputs(prior) for prior in PRIORS],
        rules.classical.output,
        expand(rules.figures.output, evidence=EVIDENCE_SETS),
        report_outputs(),
        sensitivity_outputs(),
    default_target: True
