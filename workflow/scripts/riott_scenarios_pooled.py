"""Snakemake adapter: every named RIOTT scenario carried into the pooled analysis."""

import pandas as pd

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.riott.bank import Bank
from hatmeta.riott.propagation import pooled

with logged(snakemake.log[0], "riott_scenarios_pooled") as log:
    frames = pd.concat([pd.read_csv(p) for p in snakemake.input.scenarios], ignore_index=True)
    imputations = pd.concat([pd.read_csv(p) for p in snakemake.input.imputations])
    table = pooled(
        frames, imputations, Bank.load(snakemake.input.bank), snakemake.params.higher_is_better
    )
    write_csv(table, snakemake.output[0])
    for row in table.itertuples():
        log.info("%s: pooled P(benefit) %.3f", row.scenario, row.pooled_p_benefit)
