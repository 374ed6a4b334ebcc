"""Snakemake adapter: carry every RIOTT scenario and grid cell into the pooled analysis."""

import pandas as pd

from hatmeta import layout
from hatmeta.io import write_csv, write_json, write_text
from hatmeta.logs import logged
from hatmeta.riott import layout as riott_layout
from hatmeta.riott import pooling
from hatmeta.riott.grid import read_grid_batches
from hatmeta.riott.patient_level import patient_level_table
from hatmeta.riott.scenarios import published_counts

with logged(snakemake.log[0], "riott_pooled") as log:
    riott, output = snakemake.params.riott, snakemake.output
    frames = {
        name: pd.read_csv(path)
        for name, path in layout.index(riott_layout.SCENARIO, snakemake.input.scenarios).items()
    }
    grids = read_grid_batches(layout.index(riott_layout.GRID_BATCH, snakemake.input.grid_batches))
    base = pooling.load_base(snakemake.input.base, riott.trial, snakemake.params.higher_is_better)
    result = pooling.run(riott, base, frames, grids)
    for name, path in layout.index(riott_layout.POOLED, output.pooled).items():
        write_json(result["pooled"][name], path)
    write_csv(result["scenarios"], output.scenarios)
    for heroin, path in layout.index(riott_layout.GRID, output.grids).items():
        write_csv(result["grids"][heroin], path)
    write_csv(result["points"], output.points)
    write_text(result["sentence"] + "\n", output.sentence)
    write_json(result["diagnostics"], output.importance)
    harmonised = pd.read_csv(snakemake.input.harmonised)
    published = published_counts(harmonised, riott.trial, riott.measure, riott.arms)
    retained = published_counts(harmonised, riott.trial, riott.retention_measure, riott.arms)
    cross_check = patient_level_table(published, retained, riott.tipping.imor_methadone)
    write_csv(cross_check, output.patient_level)
    log.info("%s", result["sentence"])
