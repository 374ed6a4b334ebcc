"""Snakemake adapter for the modelling stage: all analyses under one heterogeneity prior."""

from hatmeta import layout
from hatmeta.bayes.stage import run_prior
from hatmeta.data.tables import read_analysis_table
from hatmeta.logs import logged

with logged(snakemake.log[0], "fit") as log:
    tables = {
        key: read_analysis_table(path)
        for key, path in layout.index(layout.ANALYSIS_TABLE, snakemake.input.tables).items()
    }
    outputs = {(e, a): files for (e, a, _), files in layout.fits_index(snakemake.output).items()}
    stage = run_prior(snakemake.params.model, snakemake.params.prior, tables, outputs)
    log.info("compile %.1f s; %d fit groups", stage.runner.compile_seconds or 0, len(stage.timings))
