"""Snakemake adapter: RIOTT's odds ratio over one batch of tipping-grid cells."""

from hatmeta import missing
from hatmeta.io import write_csv
from hatmeta.logs import logged

with logged(snakemake.log[0], "riott_grid") as log:
    heroin = snakemake.wildcards.heroin
    riott = {**snakemake.params.riott, "scenarios": {heroin: snakemake.params.scenario}}
    published, design = missing.load_inputs(
        riott, snakemake.input.harmonised, snakemake.input.facts
    )
    grid = missing.tipping_grid(
        riott,
        heroin,
        published,
        design,
        riott["excess_missing_percent"],
        cells=snakemake.params.cells,
    )
    write_csv(grid, snakemake.output[0])
    log.info("%s, batch %s: %d grid cells", heroin, snakemake.wildcards.batch, len(grid))
