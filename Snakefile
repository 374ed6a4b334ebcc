# hatmeta: Bayesian evidence synthesis of randomised trials from one extraction sheet.
# Run everything with `snakemake --cores 4`; see README.md for single targets and other reviews.
from snakemake.utils import min_version

min_version("9.0")


# A review's own config (`--configfile my-review/config.yaml`) stands alone: this project's
# config is not merged underneath it.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


# Validates the config against config/schema.yaml (filling its defaults) and types it.
include: "workflow/rules/common.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/classical.smk"
include: "workflow/rules/figures.smk"


# Stages specific to one review run only when the config asks for them.
if SETTINGS.riott is not None:

    include: "workflow/rules/riott.smk"


include: "workflow/rules/report.smk"


rule all:
    input:
        rules.extract.output,
        [fit_outputs(prior) for prior in PRIORS],
        rules.classical.output,
        expand(rules.figures.output, evidence=EVIDENCE_SETS),
        optional_outputs(),
        report_outputs(),
    default_target: True
