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
    log:
        "logs/sensitivity/{scenario}.log",
    script:
        "../scripts/riott_scenario.py"


rule riott_grid:
    """RIOTT's odds ratio over the tipping grid, heroin arm held at one named scenario."""
    input:
        harmonised="results/data/harmonised.csv",
        facts=config["data"]["riott_testing"],
    output:
        "results/sensitivity/tipping/{heroin}/riott_grid.csv",
    params:
        riott=riott_settings(),
        tipping=config["riott"]["tipping"],
        scenario=lookup(dpath="riott/scenarios/{heroin}", within=config),
    log:
        "logs/sensitivity/grid_{heroin}.log",
    script:
        "../scripts/riott_grid.py"


rule riott_pooled:
    """Every scenario and grid cell carried into the pooled illicit-heroin analysis."""
    input:
        scenarios=expand("results/sensitivity/{scenario}/riott.csv", scenario=SCENARIOS),
        grids=expand("results/sensitivity/tipping/{heroin}/riott_grid.csv", heroin=HEROIN),
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
    log:
        "logs/sensitivity/figures.log",
    script:
        "../scripts/riott_figures.py"
