"""Snakemake adapter: the RIOTT-free base posterior of the pooled analysis."""

import json

from hatmeta.data.tables import read_analysis_table
from hatmeta.io import save_posterior, write_json
from hatmeta.logs import logged
from hatmeta.riott.base import fit_base

with logged(snakemake.log[0], "riott_base") as log:
    params = snakemake.params
    tree, diagnostics, stage = fit_base(
        params.model,
        params.prior,
        params.model.analyses[params.analysis],
        read_analysis_table(snakemake.input.table),
        params.trial,
    )
    log.info("compile %.1f s", stage.runner.compile_seconds or 0)
    for timing in stage.timings:
        log.info("timing %s", json.dumps(timing))
    save_posterior(tree, snakemake.output.base)
    write_json(diagnostics, snakemake.output.diagnostics, digits=6)
    log.info("%s: %s", params.analysis, diagnostics["status"])
