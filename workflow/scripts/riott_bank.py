"""Snakemake adapter: the pooled posteriors under every pair of RIOTT's counts (quadrature)."""

import json

from hatmeta.data.tables import read_analysis_table
from hatmeta.io import write_json
from hatmeta.logs import logged
from hatmeta.riott.bank_build import build_bank

with logged(snakemake.log[0], "riott_bank") as log:
    params, output = snakemake.params, snakemake.output
    result = build_bank(
        read_analysis_table(snakemake.input.table),
        params.trial,
        params.prior,
        params.scales,
        params.analysis,
    )
    result.bank.save(output.bank)
    write_json(result.checks, output.checks, digits=6)
    log.info("%s", json.dumps(result.checks))
