"""Snakemake adapter: tipping-point heatmaps and the RIOTT odds ratio along IMOR."""

from pathlib import Path

import pandas as pd

from hatmeta import sensitivity
from hatmeta.logs import logged
from hatmeta.plots import save

with logged(snakemake.log[0], "riott_figures") as log:
    # Inputs follow results/sensitivity/tipping/{heroin}/grid.csv
    grids = {Path(p).parent.name: pd.read_csv(p) for p in snakemake.input.grids}
    figures = sensitivity.figures(grids, snakemake.params.riott)
    for path in snakemake.output.heatmaps:
        # Outputs follow .../tipping_{result}_{heroin}.png
        result, heroin = Path(path).stem.removeprefix("tipping_").split("_", 1)
        save(figures["heatmaps"][(result, heroin)], path)
    save(figures["curve"], snakemake.output.curve)
    log.info("wrote %d heatmaps and the curve", len(grids))
