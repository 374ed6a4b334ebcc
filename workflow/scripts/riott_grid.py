"""Snakemake adapter: RIOTT's odds ratio over one batch of tipping-grid cells."""

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.riott import scenarios

with logged(snakemake.log[0], "riott_grid") as log:
    riott, heroin = snakemake.params.riott, snakemake.params.heroin
    published, design = scenarios.load_inputs(
        riott, snakemake.input.harmonised, snakemake.input.facts
    )
    grid = scenarios.tipping_grid(riott, heroin, published, design, cells=snakemake.params.cells)
    write_csv(grid, snakemake.output[0])
    log.info("%s, batch %s: %d grid cells", heroin.name, snakemake.wildcards.batch, len(grid))
