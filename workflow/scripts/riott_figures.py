"""Snakemake adapter: tipping heatmaps, the RIOTT results along IMOR, the tipping-point map."""

import pandas as pd

from hatmeta import layout
from hatmeta.logs import logged
from hatmeta.plots import save
from hatmeta.riott import layout as riott_layout
from hatmeta.riott.figures import MAP_COLOURS, figures

with logged(snakemake.log[0], "riott_figures") as log:
    params = snakemake.params
    drawn = figures(pd.read_csv(snakemake.input.cells), params.choice, params.benefit_probability)
    for key, path in layout.index(riott_layout.HEATMAP, snakemake.output.heatmaps).items():
        save(drawn["heatmaps"][key], path)
    save(drawn["curve"], snakemake.output.curve)
    save(drawn["map"], snakemake.output.tipping_map, palette=MAP_COLOURS)
    log.info("wrote %d heatmaps, the curves and the tipping-point map", len(drawn["heatmaps"]))
