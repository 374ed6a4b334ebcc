"""Snakemake adapter: draw every analysis's forest and prior-sensitivity plots."""

from pathlib import Path

from hatmeta.figures import analysis_figures, placeholder
from hatmeta.logs import logged
from hatmeta.plots import save

with logged(snakemake.log[0], "figures") as log:
    config = snakemake.params.figure_config
    evidence = snakemake.wildcards.evidence
    outputs = {
        "forest": snakemake.output.forest,
        "prior_sensitivity": snakemake.output.prior_sensitivity,
    }
    # Inputs follow results/fits/{evidence}/{analysis}/{prior}/{file}
    root = Path(snakemake.input.fits[0]).parents[3]
    for analysis in config["analyses"]:
        figures = analysis_figures(config, root, evidence, analysis)
        for kind, paths in outputs.items():
            # Outputs follow .../{kind}_{analysis}.png
            path = next(p for p in paths if Path(p).stem == f"{kind}_{analysis}")
            figure = figures[kind] or placeholder(
                f"{config['analyses'][analysis]['title']}: no trial with counts in the "
                f"'{evidence}' evidence set, so nothing to plot."
            )
            save(figure, path)
            log.info("wrote %s", path)
