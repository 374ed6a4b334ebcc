"""Snakemake adapter: assemble results/report/report.html from the results tables and figures."""

import json
from pathlib import Path

from hatmeta import report
from hatmeta.io import write_csv, write_json
from hatmeta.logs import logged

with logged(snakemake.log[0], "report") as log:
    config = snakemake.params.config
    # Inputs follow results/data/audit.csv: the results root is two levels up.
    results = Path(snakemake.input.audit).parents[1]
    write_json(report.provenance(config, repo=Path.cwd()), snakemake.output.provenance)
    provenance = json.loads(Path(snakemake.output.provenance).read_text())
    context = report.build_context(config, results, provenance_info=provenance)
    write_csv(context["sof_frame"], snakemake.output.summary)
    report.write_report(context, snakemake.output.html)
    log.info(
        "wrote %s (%d flagged fits; sensitivity %s)",
        snakemake.output.html,
        context["n_flagged"],
        "included" if context["sensitivity"]["run"] else "not run",
    )
