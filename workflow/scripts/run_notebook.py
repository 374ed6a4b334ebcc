"""Snakemake adapter: execute a reviewing notebook into results/notebooks/ (.ipynb and .html).

Not named notebook.py: the scripts directory is on sys.path and would shadow Jupyter's
`notebook` package, which nbconvert tries to import.
"""

import tempfile
from pathlib import Path

import yaml

from hatmeta.logs import logged
from hatmeta.notebooks import execute

with logged(snakemake.log[0], "notebook") as log, tempfile.TemporaryDirectory() as tmp:
    # The notebook reads the config this run used, whatever file it came from, and exactly the
    # inputs the rule declares.
    config_file = Path(tmp) / "config.yaml"
    config_file.write_text(yaml.safe_dump(dict(snakemake.params.config), sort_keys=False))
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
            "config_file": str(config_file),
            "inputs": inputs,
            **snakemake.params.parameters,
        },
    )
    log.info("executed %s in %.1f s", snakemake.input.source, seconds)
