"""Snakemake adapter: execute a reviewing notebook into results/notebooks/ (.ipynb and .html).

Not named notebook.py: the scripts directory is on sys.path and would shadow Jupyter's
`notebook` package, which nbconvert tries to import.
"""

import tempfile
from pathlib import Path

import yaml

from hatmeta.logs import logged
from hatmeta.report import execute_notebook

with logged(snakemake.log[0], "notebook") as log, tempfile.TemporaryDirectory() as tmp:
    # The notebook reads the config this run used, whatever file it came from.
    config_file = Path(tmp) / "config.yaml"
    config_file.write_text(yaml.safe_dump(dict(snakemake.config), sort_keys=False))
    seconds = execute_notebook(
        snakemake.input[0],
        snakemake.output.ipynb,
        snakemake.output.html,
        parameters={"config_file": str(config_file), **snakemake.params.parameters},
    )
    log.info("executed %s in %.1f s", snakemake.input[0], seconds)
