"""Snakemake adapter: execute a reviewing notebook into results/notebooks/ (.ipynb and .html).

Not named notebook.py: the scripts directory is on sys.path and would shadow Jupyter's
`notebook` package, which nbconvert tries to import.
"""

import yaml

from hatmeta.io import write_text
from hatmeta.logs import logged
from hatmeta.notebooks import execute

HEADER = (
    "# The config the workflow executed this notebook with (its run's, less the sections the\n"
    "# notebook does not show), written by the rule `notebook`: edit config/config.yaml instead.\n"
)

with logged(snakemake.log[0], "notebook") as log:
    # The notebook reads the config this run used, whatever file(s) it came from, written beside
    # it under results/ (a project-relative path in its parameters cell, which a reviewer can
    # re-run), and exactly the inputs the rule declares.
    config = yaml.safe_dump(dict(snakemake.params.config), sort_keys=False)
    write_text(HEADER + config, snakemake.output.config_file)
    inputs = {
        name: value if isinstance(value, str) else list(value)
        for name, value in snakemake.input.items()
        if name != "source"
    }
    seconds = execute(
        snakemake.input.source,
        snakemake.output.ipynb,
        snakemake.output.html,
        parameters={
            "config_file": snakemake.output.config_file,
            "inputs": inputs,
            **snakemake.params.parameters,
        },
    )
    log.info("executed %s in %.1f s", snakemake.input.source, seconds)
