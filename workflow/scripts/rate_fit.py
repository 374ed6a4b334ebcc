"""Snakemake adapter for the rate stage: analyses whose counts are events, over person-time."""

from hatmeta import layout
from hatmeta.bayes.rate_stage import RateFiles, fit_rates
from hatmeta.data.tables import read_analysis_table
from hatmeta.logs import logged

with logged(snakemake.log[0], "rate_fit") as log:
    tables = {
        key: read_analysis_table(path)
        for key, path in layout.index(layout.ANALYSIS_TABLE, snakemake.input.tables).items()
    }
    outputs = {
        key: RateFiles(*files) for key, files in layout.rates_index(snakemake.output).items()
    }
    runner = fit_rates(
        snakemake.params.model, snakemake.params.priors, tables, outputs, snakemake.params.per
    )
    if runner is not None:
        log.info("compile %.1f s", runner.compile_seconds or 0)
