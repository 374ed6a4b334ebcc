"""Snakemake adapter for the modelling stage: all analyses under one heterogeneity prior."""

from pathlib import Path

from hatmeta.logs import logged
from hatmeta.modelling import run_prior
from hatmeta.tables import read_analysis_tables

with logged(snakemake.log[0], "fit") as log:
    prior = snakemake.wildcards.prior
    config = dict(snakemake.params.model_config)
    config["priors"] = {**config["priors"], "heterogeneity": {prior: snakemake.params.prior_spec}}
    tables = read_analysis_tables(snakemake.input.tables)
    # Outputs follow results/fits/{evidence}/{analysis}/{prior}/{file}
    root = Path(snakemake.output[0]).parents[3]
    stage = run_prior(config, prior, tables, root)
    runner = stage.runner
    log.info("compile %.1f s; %d fit groups", runner.compile_seconds or 0, len(stage.timings))
