"""Snakemake adapter for the network stage: every configured network of one evidence set."""

import pandas as pd

from hatmeta import layout
from hatmeta.bayes.network_stage import run_networks
from hatmeta.logs import logged

with logged(snakemake.log[0], "network") as log:
    params = snakemake.params
    settings = params.networks
    harmonised = pd.read_csv(snakemake.input.harmonised, keep_default_na=False, na_values=[""])
    trials = None
    if snakemake.input.trials:
        from hatmeta.data.sheet import load_bibliography
        from hatmeta.data.trials import load_trials

        bibliography = load_bibliography(snakemake.input.bibliography)
        trials = load_trials(snakemake.input.trials, bibliography, harmonised["trial"])
    evidence = snakemake.wildcards.evidence
    declared = [*snakemake.output.tables, *snakemake.output.plot, *snakemake.output.forest]
    indexed = {
        kind: layout.index(pattern, declared)
        for kind, pattern in layout.NETWORK_FILES._asdict().items()
    }
    outputs = {
        name: layout.NetworkFiles(**{k: v[(evidence, name)] for k, v in indexed.items()})
        for name in settings.networks
    }
    done = run_networks(settings, harmonised, trials, params.statuses, evidence, outputs)
    from hatmeta.network_plots import write_figures

    for name, (item, result) in done.items():
        write_figures(item, result, settings, outputs[name])
        log.info("%s/%s: %s", evidence, name, item.status)
