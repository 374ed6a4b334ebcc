"""Snakemake adapter: one RIOTT missing-test scenario (NumPy only, no sampling)."""

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.riott import scenarios

with logged(snakemake.log[0], "riott_scenario") as log:
    scenario = snakemake.params.scenario
    published, design = scenarios.load_inputs(
        snakemake.params.riott, snakemake.input.harmonised, snakemake.input.facts
    )
    result = scenarios.run_scenario(snakemake.params.riott, scenario, published, design)
    scenarios.check_grid(result, scenario.name)
    write_csv(scenarios.scenario_frame(scenario.name, result), snakemake.output[0])
    log.info("%s: RIOTT OR %s", scenario.name, result["summary"]["odds_ratio"])
