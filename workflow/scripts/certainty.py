"""Snakemake adapter: the certainty of evidence of every analysis of one evidence set."""

from hatmeta import layout
from hatmeta.certainty.stage import run_certainty
from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.plots import save

with logged(snakemake.log[0], "certainty") as log:
    inputs = snakemake.input
    fits = {analysis: files for (_, analysis, _), files in layout.fits_index(inputs.fits).items()}
    classical = {
        analysis: path
        for (_, analysis), path in layout.index(layout.CLASSICAL, inputs.classical).items()
    }
    rates = {analysis: files for (_, analysis), files in layout.rates_index(inputs.rates).items()}
    table, figures = run_certainty(
        snakemake.params.certainty,
        fits,
        classical,
        inputs.harmonised,
        inputs.get("risk_of_bias"),
        inputs.get("bibliography"),
        rates,
    )
    write_csv(table, snakemake.output.table)
    for (_, analysis), path in layout.index(layout.FUNNEL, snakemake.output.funnel).items():
        save(figures[analysis], path)
    log.info("wrote %s (%d analyses)", snakemake.output.table, len(table))
