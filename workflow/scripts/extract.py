"""Snakemake adapter for the extract stage: read inputs and params, call hatmeta, write."""

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.tables import analysis_key, build_tables

with logged(snakemake.log[0], "extract") as log:
    config = {
        "data": {
            "extraction": snakemake.input.sheet,
            "bibliography": snakemake.input.bibliography,
        },
        **dict(snakemake.params.items()),
    }
    tables = build_tables(config)
    write_csv(tables["harmonised"], snakemake.output.harmonised)
    write_csv(tables["audit"], snakemake.output.audit)
    for path in snakemake.output.analyses:
        evidence, analysis = analysis_key(path)
        table = tables["analyses"][(evidence, analysis)]
        write_csv(table, path)
        included = table.loc[table["included"], "trial"].nunique()
        log.info("%s/%s: %d trial(s) included", evidence, analysis, included)
