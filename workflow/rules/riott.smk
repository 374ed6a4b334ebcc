# RIOTT missing-test sensitivity: only for configs with a `riott` section.
# The scenario and grid jobs are tiny and many: on a cluster, the "riott" group lets the
# profile's --group-components submit several of them as one cluster job (ignored locally).


include: "riott_helpers.smk"


rule riott_scenario:
    """RIOTT's responders and odds ratio under one named missing-test scenario."""
    input:
        harmonised=layout.HARMONISED,
        facts=SETTINGS.data.riott_testing,
    output:
        riott_layout.SCENARIO,
    params:
        riott=RIOTT.shared(),
        scenario=scenario,
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
        harmonised=layout.HARMONISED,
        facts=SETTINGS.data.riott_testing,
    output:
        riott_layout.GRID_BATCH,
    params:
        riott=RIOTT.shared(),
        heroin=heroin_scenario,
        cells=batch_cells,
    group:
        "riott"
    resources:
        mem_mb=1000,
        runtime=batch_runtime,
    log:
        "logs/sensitivity/grid_{heroin}_{batch}.log",
    script:
        "../scripts/riott_grid.py"


rule riott_base:
    """The pooled analysis without RIOTT: the posterior every scenario's evidence is added to.
    Its own job, so that editing a scenario never refits it."""
    input:
        table=riott_base_table(),
    output:
        base=riott_layout.BASE_POSTERIOR,
        diagnostics=riott_layout.BASE_DIAGNOSTICS,
    params:
        model=SETTINGS.model,
        prior=SETTINGS.prior(SETTINGS.analysis(RIOTT.tipping.analysis).primary_prior),
        analysis=RIOTT.tipping.analysis,
        trial=RIOTT.trial,
    # Beside the fit job (see models.smk): it compiles the same model in its own process.
    priority: 90
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/sensitivity/base.log",
    script:
        "../scripts/riott_base.py"


rule riott_pooled:
    """Every scenario and grid cell carried into the pooled analysis."""
    input:
        scenarios=expand(riott_layout.SCENARIO, scenario=SCENARIOS),
        grid_batches=expand(
            riott_layout.GRID_BATCH, heroin=HEROIN, batch=range(len(TIPPING_BATCHES))
        ),
        base=riott_layout.BASE_POSTERIOR,
        harmonised=layout.HARMONISED,
    output:
        pooled=expand(riott_layout.POOLED, scenario=SCENARIOS),
        scenarios=report(
            riott_layout.SCENARIOS,
            caption="../report/scenarios.rst",
            category="RIOTT sensitivity",
            labels={"table": "scenarios"},
        ),
        grids=expand(riott_layout.GRID, heroin=HEROIN),
        points=report(
            riott_layout.TIPPING_POINTS,
            caption="../report/tipping_points.rst",
            category="RIOTT sensitivity",
            labels={"table": "tipping points"},
        ),
        sentence=riott_layout.TIPPING_SENTENCE,
        importance=riott_layout.IMPORTANCE,
        patient_level=report(
            riott_layout.PATIENT_LEVEL,
            caption="../report/patient_level_imor.rst",
            category="RIOTT sensitivity",
            labels={"table": "patient-level IMOR cross-check"},
        ),
    params:
        riott=RIOTT,
        higher_is_better=SETTINGS.analysis(RIOTT.tipping.analysis).outcome.higher_is_better,
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
    output:
        heatmaps=report(
            expand(riott_layout.HEATMAP, result=("riott", "pooled"), heroin=HEROIN),
            caption="../report/tipping_heatmap.rst",
            category="RIOTT sensitivity",
            labels={"figure": "tipping heatmaps"},
        ),
        curve=report(
            riott_layout.CURVE,
            caption="../report/tipping_curve.rst",
            category="RIOTT sensitivity",
            labels={"figure": "OR along IMOR"},
        ),
    params:
        benefit_probability=RIOTT.tipping.benefit_probability,
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sensitivity/figures.log",
    script:
        "../scripts/riott_figures.py"
