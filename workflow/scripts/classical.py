"""Snakemake adapter for the classical meta-analyses of every analysis table."""

from hatmeta import layout
from hatmeta.data.tables import read_analysis_table
from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.reproduction import classical_table

with logged(snakemake.log[0], "classical"):
    tables = layout.index(layout.ANALYSIS_TABLE, snakemake.input.tables)
    for key, path in layout.index(layout.CLASSICAL, snakemake.output.tables).items():
        write_csv(classical_table(read_analysis_table(tables[key])), path)
