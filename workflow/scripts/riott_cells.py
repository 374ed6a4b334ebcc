"""Snakemake adapter: one batch of RIOTT heatmap, tipping and structural cells."""

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.riott import scenarios

with logged(snakemake.log[0], "riott_cells") as log:
    riott, cells = snakemake.params.riott, snakemake.params.cells
    inputs = scenarios.load_inputs(riott, snakemake.input.harmonised, snakemake.input.facts)
    results = scenarios.run(riott, [cell.scenario for cell in cells], inputs, riott.cell_draws)
    for result in results:
        scenarios.check_grid(result)
    write_csv(scenarios.cells_frame(cells, results, inputs), snakemake.output.cells)
    write_csv(scenarios.imputations_frame(results), snakemake.output.imputations)
    usable = sum(result.usable for result in results)
    log.info("batch %s: %d cells, %d usable", snakemake.wildcards.batch, len(cells), usable)
