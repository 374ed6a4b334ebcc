"""Snakemake adapter: carry every RIOTT scenario and grid cell into the pooled analysis."""

from pathlib import Path

import pandas as pd

from hatmeta import missing, sensitivity
from hatmeta.fitting import save_posterior
from hatmeta.grid import read_grid_batches
from hatmeta.io import write_csv, write_json, write_with
from hatmeta.logs import logged
from hatmeta.tables import read_analysis_table

with logged(snakemake.log[0], "riott_pooled") as log:
    riott = snakemake.params.riott
    config = {
        **snakemake.params.model_config,
        "riott": riott,
        "priors": {
            **snakemake.params.model_config["priors"],
            "heterogeneity": snakemake.params.prior_specs,
        },
    }
    # Inputs follow results/sensitivity/{scenario}/riott.csv and .../tipping/{heroin}/...
    scenarios = {Path(p).parent.name: pd.read_csv(p) for p in snakemake.input.scenarios}
    grids = read_grid_batches(snakemake.input.grid_batches)
    result = sensitivity.run(config, read_analysis_table(snakemake.input.table), scenarios, grids)
    for path in snakemake.output.pooled:
        write_json(result["pooled"][Path(path).parent.name], path)
    write_csv(result["scenarios"], snakemake.output.scenarios)
    for path in snakemake.output.grids:
        write_csv(result["grids"][Path(path).parent.name], path)
    write_csv(result["points"], snakemake.output.points)
    write_with(snakemake.output.sentence, lambda tmp: tmp.write_text(result["sentence"] + "\n"))
    write_json(result["diagnostics"], snakemake.output.diagnostics)
    write_with(snakemake.output.base, lambda tmp: save_posterior(result["base"], tmp))
    harmonised = pd.read_csv(snakemake.input.harmonised)
    published = missing.published_counts(
        harmonised, riott["trial"], riott["measure"], riott["arms"]
    )
    retained = missing.published_counts(
        harmonised, riott["trial"], riott["retention_measure"], riott["arms"]
    )
    cross_check = missing.patient_level_table(
        published, retained, riott["tipping"]["imor_methadone"]
    )
    write_csv(cross_check, snakemake.output.patient_level)
    log.info("%s", result["sentence"])
