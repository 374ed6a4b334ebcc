"""Snakemake adapter: one named RIOTT missing-test scenario (NumPy and SciPy, no sampling)."""

from hatmeta.io import write_csv
from hatmeta.logs import logged
from hatmeta.riott import scenarios

with logged(snakemake.log[0], "riott_scenario") as log:
    riott, scenario = snakemake.params.riott, snakemake.params.scenario
    inputs = scenarios.load_inputs(riott, snakemake.input.harmonised, snakemake.input.facts)
    [result] = scenarios.run(riott, [scenario], inputs, riott.draws)
    scenarios.check_grid(result)
    write_csv(scenarios.frame([result], inputs), snakemake.output.scenario)
    write_csv(scenarios.imputations_frame([result]), snakemake.output.imputations)
    log.info("%s: %s", scenario.name, "usable" if result.usable else "; ".join(result.reasons))
