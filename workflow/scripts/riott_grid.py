"""Snakemake adapter: RIOTT's odds ratio over the tipping grid for one heroin-arm scenario."""

from hatmeta import missing
from hatmeta.io import write_csv
from hatmeta.logs import logged

with logged(snakemake.log[0], "riott_grid") as log:
    heroin = snakemake.wildcards.heroin
    riott = {
        **snakemake.params.riott,
        "tipping": snakemake.params.tipping,
        "scenarios": {heroin: snakemake.params.scenario},
    }
    published, design = missing.load_inputs(
        riott, snakemake.input.harmonised, snakemake.input.facts
    )
    grid = missing.tipping_grid(riott, heroin, published, design, riott["excess_missing_percent"])
    write_csv(grid, snakemake.output[0])
    log.info("%s: %d grid cells", heroin, len(grid))
