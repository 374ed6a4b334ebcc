"""Snakemake adapter: draw every analysis's forest and prior-sensitivity plots."""

from hatmeta import layout
from hatmeta.figures import analysis_figures, placeholder, prior_labels, rank_figure
from hatmeta.logs import logged
from hatmeta.plots import save

with logged(snakemake.log[0], "figures") as log:
    params = snakemake.params
    fits = layout.fits_index(snakemake.input.fits)
    outputs = {
        "forest": layout.index(layout.FOREST, snakemake.output.forest),
        "prior_sensitivity": layout.index(
            layout.PRIOR_SENSITIVITY, snakemake.output.prior_sensitivity
        ),
        "rank": layout.index(layout.RANK_PLOT, snakemake.output.rank),
    }
    evidence = snakemake.wildcards.evidence
    for name, analysis in params.analyses.items():
        labels = prior_labels(analysis, params.priors, params.comparison.turner_comparison)
        by_prior = {prior: fits[(evidence, name, prior)] for prior in params.priors}
        figures = analysis_figures(analysis, by_prior, labels, params.comparison)
        figures["rank"] = rank_figure(by_prior[analysis.primary_prior].posterior)
        for kind, paths in outputs.items():
            figure = figures[kind] or placeholder(
                f"{analysis.title}: no trial with counts in the '{evidence}' evidence set, "
                "so nothing to plot."
            )
            save(figure, paths[(evidence, name)])
            log.info("wrote %s", paths[(evidence, name)])
