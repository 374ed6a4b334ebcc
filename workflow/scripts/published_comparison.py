"""Snakemake adapter: published pooled results beside our reproduction on the same trials."""

import pandas as pd

from hatmeta import layout
from hatmeta.data.tables import read_analysis_table
from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.reproduction import published_comparison

with logged(snakemake.log[0], "published_comparison") as log:
    tables = {
        analysis: read_analysis_table(path)
        for (_, analysis), path in layout.index(
            layout.ANALYSIS_TABLE, snakemake.input.tables
        ).items()
    }
    published = pd.read_csv(snakemake.input.published, keep_default_na=False, na_values=[""])
    comparison = published_comparison(
        published,
        tables,
        snakemake.params.analyses,
        pd.read_csv(snakemake.input.audit),
        snakemake.params.comparison,
    )
    write_csv(comparison, snakemake.output[0])
    for row in comparison.itertuples(index=False):
        log.info(
            "%s %s (%s): %s; %s", row.source, row.outcome, row.trial_set, row.point, row.interval
        )
