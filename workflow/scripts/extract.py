"""Snakemake adapter for the extract stage: read inputs and params, call hatmeta, write."""

from hatmeta import layout
from hatmeta.data.tables import build_tables, left_out_line
from hatmeta.io import write_csv
from hatmeta.logs import logged

with logged(snakemake.log[0], "extract") as log:
    tables = build_tables(
        snakemake.input.sheet, snakemake.input.bibliography, snakemake.params.settings
    )
    write_csv(tables["harmonised"], snakemake.output.harmonised)
    write_csv(tables["audit"], snakemake.output.audit)
    for key, path in layout.index(layout.ANALYSIS_TABLE, snakemake.output.analyses).items():
        table = tables["analyses"][key]
        write_csv(table, path)
        log.info("%s/%s: %s", *key, left_out_line(table))
