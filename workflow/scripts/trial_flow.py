"""Snakemake adapter for the study flow: characteristics, trial x analysis, flow counts."""

from hatmeta import layout
from hatmeta.data.flow import trial_flow
from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.plots import flow_plot, save

with logged(snakemake.log[0], "trial_flow") as log:
    params = snakemake.params
    tables = {
        analysis: path
        for (_, analysis), path in layout.index(
            layout.ANALYSIS_TABLE, snakemake.input.tables
        ).items()
    }
    flow = trial_flow(
        snakemake.input.trials,
        snakemake.input.bibliography,
        snakemake.input.audit,
        snakemake.input.harmonised,
        tables,
        params.settings.analyses,
        params.settings.comparison,
        params.statuses,
    )
    write_csv(flow.characteristics, snakemake.output.characteristics)
    write_csv(flow.matrix, snakemake.output.matrix)
    write_csv(flow.counts, snakemake.output.counts)
    save(flow_plot(flow.counts), snakemake.output.figure)
    for row in flow.counts.itertuples(index=False):
        log.info("%s: %d trial(s)", row.stage, row.n_trials)
