"""Snakemake adapter for the modelling stage: every analysis under every heterogeneity prior."""

import json

from hatmeta import layout
from hatmeta.bayes.stage import run_fits
from hatmeta.data.tables import read_analysis_table
from hatmeta.logs import logged

with logged(snakemake.log[0], "fit") as log:
    tables = {
        key: read_analysis_table(path)
        for key, path in layout.index(layout.ANALYSIS_TABLE, snakemake.input.tables).items()
    }
    outputs = layout.fits_index(snakemake.output)
    stage = run_fits(snakemake.params.model, snakemake.params.priors, tables, outputs)
    log.info("compile %.1f s", stage.runner.compile_seconds or 0)
    for timing in stage.timings:
        log.info("timing %s", json.dumps(timing))
