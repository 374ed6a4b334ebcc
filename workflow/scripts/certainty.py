"""Snakemake adapter: the certainty of evidence of every analysis of one evidence set."""

from hatmeta import layout
from hatmeta.certainty.stage import run_certainty
from hatmeta.figures import rob_figures
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
    settings = snakemake.params.certainty
    out = run_certainty(
        settings,
        fits,
        classical,
        inputs.harmonised,
        inputs.get("risk_of_bias"),
        inputs.get("bibliography"),
        rates,
        inputs.get("rob2_answers"),
    )
    output = snakemake.output
    write_csv(out.table, output.table)
    write_csv(out.rob_judgements, output.rob_judgements)
    write_csv(out.rob_shares, output.rob_shares)
    for (_, analysis), path in layout.index(layout.FUNNEL, output.funnel).items():
        save(out.funnels[analysis], path)
    figures = rob_figures(out.rob_judgements, out.rob_shares, settings.analyses)
    save(figures["traffic_light"], output.rob_traffic_light)
    save(figures["summary"], output.rob_summary)
    log.info("wrote %s (%d analyses)", output.table, len(out.table))
