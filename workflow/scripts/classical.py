"""Snakemake adapter for the classical reproduction (statsmodels MH / DL)."""

import pandas as pd

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.reproduction import classical_table, published_comparison
from hatmeta.tables import analysis_key, read_analysis_tables

with logged(snakemake.log[0], "classical") as log:
    tables = read_analysis_tables(snakemake.input.tables)
    for path in snakemake.output.tables:
        write_csv(classical_table(tables[analysis_key(path)]), path)
    main = {
        analysis: table
        for (evidence, analysis), table in tables.items()
        if evidence == snakemake.params.main_evidence
    }
    published = pd.read_csv(snakemake.input.published, keep_default_na=False, na_values=[""])
    comparison = published_comparison(published, main, snakemake.params.analyses)
    write_csv(comparison, snakemake.output.comparison)
    for row in comparison.itertuples(index=False):
        log.info("%s %s: %s", row.source, row.outcome, row.explanation)
