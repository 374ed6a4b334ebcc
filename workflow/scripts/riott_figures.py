"""Snakemake adapter: tipping-point heatmaps and the RIOTT odds ratio along IMOR."""

import pandas as pd

from hatmeta import layout
from hatmeta.logs import logged
from hatmeta.plots import save
from hatmeta.riott import layout as riott_layout
from hatmeta.riott.figures import figures

with logged(snakemake.log[0], "riott_figures") as log:
    grids = {
        heroin: pd.read_csv(path)
        for heroin, path in layout.index(riott_layout.GRID, snakemake.input.grids).items()
    }
    drawn = figures(grids, snakemake.params.benefit_probability)
    for key, path in layout.index(riott_layout.HEATMAP, snakemake.output.heatmaps).items():
        save(drawn["heatmaps"][key], path)
    save(drawn["curve"], snakemake.output.curve)
    log.info("wrote %d heatmaps and the curve", len(drawn["heatmaps"]))
