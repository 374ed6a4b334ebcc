"""Snakemake adapter: one RIOTT missing-test scenario (NumPy only, no sampling)."""

from hatmeta import missing
from hatmeta.io import write_csv
from hatmeta.logs import logged

with logged(snakemake.log[0], "riott_scenario") as log:
    name = snakemake.wildcards.scenario
    riott = snakemake.params.riott
    published, design = missing.load_inputs(
        riott, snakemake.input.harmonised, snakemake.input.facts
    )
    result = missing.run_scenario(
        riott, snakemake.params.scenario, published, design, riott["excess_missing_percent"]
    )
    missing.check_grid(result, name)
    write_csv(missing.scenario_frame(name, result), snakemake.output[0])
    log.info("%s: RIOTT OR %s", name, result["summary"]["odds_ratio"])
