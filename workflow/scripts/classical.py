"""Snakemake adapter for the classical reproduction (statsmodels MH / DL)."""

from pathlib import Path

import pandas as pd

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.reproduction import classical_table, published_comparison
from hatmeta.tables import read_analysis_table

with logged(snakemake.log[0], "classical") as log:
    # Tables follow results/data/analyses/{evidence}/{analysis}.csv
    tables = {
        (Path(path).parent.name, Path(path).stem): read_analysis_table(path)
        for path in snakemake.input.tables
    }
    for path in snakemake.output.tables:
        key = (Path(path).parent.name, Path(path).stem)
        write_csv(classical_table(tables[key]), path)
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
