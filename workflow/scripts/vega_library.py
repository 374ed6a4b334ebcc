"""Snakemake adapter: write the Vega library the report inlines for its interactive views."""

from hatmeta.logs import logged
from hatmeta.report.vega import write_bundle

with logged(snakemake.log[0], "vega_library") as log:
    write_bundle(snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
