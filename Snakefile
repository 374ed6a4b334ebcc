# hatmeta: Bayesian evidence synthesis of randomised trials from one extraction sheet.
# Run everything with `snakemake --cores 4`; see README.md for single targets and other reviews.
from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from hatmeta.config import ConfigError, read_workflow_config

min_version("9.0")

# config/config.yaml, or a review's own config (`--config review=my-review/config.yaml`, or
# Snakemake's `--configfile`), which stands alone: this project's config is not merged under it.
# hatmeta reads the file itself so that a YAML error or a key written twice names its line.
try:
    CONFIG_SOURCE, CONFIG_POSITIONS = read_workflow_config(config, workflow.overwrite_configfiles)
except ConfigError as err:
    raise WorkflowError(str(err)) from None


# Validates the config against config/schema.yaml (filling its defaults) and types it.
include: "workflow/rules/common.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/classical.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/certainty.smk"


# Stages specific to one review run only when the config asks for them.
if SETTINGS.riott is not None:

    include: "workflow/rules/riott.smk"


if NETWORKS is not None:

    include: "workflow/rules/network.smk"


include: "workflow/rules/report.smk"


rule all:
    input:
        rules.extract.output,
        [fit_outputs(prior) for prior in PRIORS],
        rate_outputs(),
        rules.classical.output,
        expand(rules.figures.output, evidence=EVIDENCE_SETS),
        expand(rules.certainty.output, evidence=EVIDENCE_SETS),
        optional_outputs(),
        report_outputs(),
    default_target: True
