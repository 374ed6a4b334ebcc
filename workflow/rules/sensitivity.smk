# The scenario and grid jobs are tiny and many: on a cluster, the "riott" group lets the
# profile's --group-components submit several of them as one cluster job (ignored locally).


rule riott_scenario:
    """RIOTT's responders and odds ratio under one named missing-test scenario."""
    input:
        harmonised="results/data/harmonised.csv",
        facts=config["data"]["riott_testing"],
    output:
        "results/sensitivity/{scenario}/riott.csv",
    params:
        riott=riott_settings(),
        scenario=lookup(dpath="riott/scenarios/{scenario}", within=config),
    group:
        "riott"
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sensitivity/{scenario}.log",
    script:
        "../scripts/riott_scenario.py"


rule riott_grid:
    """RIOTT's odds ratio over one batch of tipping-grid cells, heroin arm held at one named
    scenario (batch size: riott/tipping/cells_per_job)."""
    input:
        harmonised="results/data/harmonised.csv",
        facts=config["data"]["riott_testing"],
    output:
        "results/sensitivity/tipping/{heroin}/cells_{batch}.csv",
    params:
        riott=riott_settings(),
        scenario=lookup(dpath="riott/scenarios/{heroin}", within=config),
        cells=batch_cells,
    group:
        "riott"
    resources:
        mem_mb=1000,
        # About 0.2 s per cell on a slow core: minutes, with room to spare.
        runtime=lambda wildcards: 10 + len(batch_cells(wildcards)) // 60,
    log:
        "logs/sensitivity/grid_{heroin}_{batch}.log",
    script:
        "../scripts/riott_grid.py"


rule riott_pooled:
    """Every scenario and grid cell carried into the pooled illicit-heroin analysis."""
    input:
        scenarios=expand("results/sensitivity/{scenario}/riott.csv", scenario=SCENARIOS),
        grid_batches=tipping_cell_batches(),
        table=riott_pooled_table(),
        harmonised="results/data/harmonised.csv",
    output:
        pooled=expand("results/sensitivity/{scenario}/pooled.json", scenario=SCENARIOS),
        scenarios=report(
            "results/sensitivity/scenarios.csv",
            caption="../report/scenarios.rst",
            category="RIOTT sensitivity",
            labels={"table": "scenarios"},
        ),
        grids=expand("results/sensitivity/tipping/{heroin}/grid.csv", heroin=HEROIN),
        points=report(
            "results/sensitivity/tipping/tipping_points.csv",
            caption="../report/tipping_points.rst",
            category="RIOTT sensitivity",
            labels={"table": "tipping points"},
        ),
        sentence="results/sensitivity/tipping/tipping_sentence.txt",
        diagnostics="results/sensitivity/base_diagnostics.json",
        base="results/sensitivity/base_posterior.nc",
        patient_level=report(
            "results/sensitivity/patient_level_imor.csv",
            caption="../report/patient_level_imor.rst",
            category="RIOTT sensitivity",
            labels={"table": "patient-level IMOR cross-check"},
        ),
    params:
        model_config=model_config(),
        riott=config["riott"],
        prior_specs=config["priors"]["heterogeneity"],
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/sensitivity/pooled.log",
    script:
        "../scripts/riott_pooled.py"


rule riott_figures:
    """Tipping-point heatmaps (RIOTT and pooled) and the odds ratio along IMOR."""
    input:
        grids=rules.riott_pooled.output.grids,
        points=rules.riott_pooled.output.points,
    output:
        heatmaps=report(
            expand("results/figures/sensitivity/tipping_{result}_{heroin}.png",
                   result=("riott", "pooled"), heroin=HEROIN),
            caption="../report/tipping_heatmap.rst",
            category="RIOTT sensitivity",
            labels={"figure": "tipping heatmaps"},
        ),
        curve=report(
            "results/figures/sensitivity/tipping_curve.png",
            caption="../report/tipping_curve.rst",
            category="RIOTT sensitivity",
            labels={"figure": "OR along IMOR"},
        ),
    params:
        riott=config["riott"],
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sensitivity/figures.log",
    script:
        "../scripts/riott_figures.py"
