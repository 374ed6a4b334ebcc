# RIOTT missing-test sensitivity: only for configs with a `riott` section.
# The scenario and cell jobs are small and many: on a cluster, the "riott" group lets the
# profile's --group-components submit several of them as one cluster job (ignored locally).
# Editing one named scenario re-runs its riott_scenario job, riott_scenarios_pooled and the
# report; the cells, the base fit and the figures stay as they are.


include: "riott_helpers.smk"


rule riott_scenario:
    """One named missing-test scenario: its assumptions checked and its imputed responders."""
    input:
        harmonised=layout.HARMONISED,
        facts=SETTINGS.data.riott_testing,
    output:
        scenario=riott_layout.SCENARIO,
        imputations=riott_layout.SCENARIO_IMPUTATIONS,
    params:
        riott=RIOTT.shared(),
        scenario=scenario,
        code=code_fingerprint("riott_scenario.py"),
    group:
        "riott"
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sensitivity/{scenario}.log",
    script:
        "../scripts/riott_scenario.py"


rule riott_cells:
    """One batch of heatmap, tipping and structural cells (batch size:
    riott/tipping/cells_per_job)."""
    input:
        harmonised=layout.HARMONISED,
        facts=SETTINGS.data.riott_testing,
    output:
        cells=riott_layout.CELLS_BATCH,
        imputations=riott_layout.CELLS_IMPUTATIONS,
    params:
        riott=RIOTT.shared(),
        cells=batch_cells,
        code=code_fingerprint("riott_cells.py"),
    group:
        "riott"
    resources:
        mem_mb=1000,
        runtime=batch_runtime,
    log:
        "logs/sensitivity/cells_{batch}.log",
    script:
        "../scripts/riott_cells.py"


rule riott_bank:
    """The pooled posterior under every possible pair of RIOTT's responder counts, by
    quadrature. Its own job, so that editing a scenario never recomputes it."""
    input:
        table=riott_bank_table(),
    output:
        checks=riott_layout.BANK_CHECKS,
        bank=riott_layout.BANK,
    params:
        trial=RIOTT.trial,
        prior=riott_prior(),
        scales=riott_prior_scales(),
        analysis=RIOTT.tipping.analysis,
        code=code_fingerprint("riott_bank.py"),
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/sensitivity/bank.log",
    script:
        "../scripts/riott_bank.py"


rule riott_scenarios_pooled:
    """Every named scenario carried into the pooled analysis (imputation mixtures)."""
    input:
        scenarios=expand(riott_layout.SCENARIO, scenario=SCENARIOS),
        imputations=expand(riott_layout.SCENARIO_IMPUTATIONS, scenario=SCENARIOS),
        bank=riott_layout.BANK,
    output:
        report(
            riott_layout.SCENARIOS,
            caption="../report/scenarios.rst",
            category="RIOTT sensitivity",
            labels={"table": "scenarios"},
        ),
    params:
        higher_is_better=HIGHER_IS_BETTER,
        code=code_fingerprint("riott_scenarios_pooled.py"),
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sensitivity/scenarios_pooled.log",
    script:
        "../scripts/riott_scenarios_pooled.py"


rule riott_cells_pooled:
    """Every cell carried into the pooled analysis; tipping points, the structural table, what
    the conclusion depends on, and the plain sentences."""
    input:
        cells=expand(riott_layout.CELLS_BATCH, batch=range(len(CELL_BATCHES))),
        imputations=expand(riott_layout.CELLS_IMPUTATIONS, batch=range(len(CELL_BATCHES))),
        bank=riott_layout.BANK,
        harmonised=layout.HARMONISED,
    output:
        cells=riott_layout.CELLS,
        points=report(
            riott_layout.TIPPING_POINTS,
            caption="../report/tipping_points.rst",
            category="RIOTT sensitivity",
            labels={"table": "tipping points"},
        ),
        structural=report(
            riott_layout.STRUCTURAL,
            caption="../report/structural.rst",
            category="RIOTT sensitivity",
            labels={"table": "structural assumptions"},
        ),
        depends=report(
            riott_layout.DEPENDS_ON,
            caption="../report/depends_on.rst",
            category="RIOTT sensitivity",
            labels={"table": "what the conclusion depends on"},
        ),
        sentences=riott_layout.SENTENCES,
        patient_level=report(
            riott_layout.PATIENT_LEVEL,
            caption="../report/patient_level_imor.rst",
            category="RIOTT sensitivity",
            labels={"table": "patient-level IMOR cross-check"},
        ),
    params:
        riott=RIOTT.for_cells(),
        higher_is_better=HIGHER_IS_BETTER,
        code=code_fingerprint("riott_cells_pooled.py"),
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/sensitivity/cells_pooled.log",
    script:
        "../scripts/riott_cells_pooled.py"


rule riott_figures:
    """Tipping heatmaps (RIOTT and pooled), the results along the oral-methadone IMOR and the
    tipping-point map."""
    input:
        cells=riott_layout.CELLS,
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
            labels={"figure": "results along IMOR"},
        ),
        tipping_map=report(
            riott_layout.TIPPING_MAP,
            caption="../report/tipping_map.rst",
            category="RIOTT sensitivity",
            labels={"figure": "tipping-point map"},
        ),
    params:
        choice=RIOTT.default_choice(),
        benefit_probability=RIOTT.tipping.benefit_probability,
        code=code_fingerprint("riott_figures.py"),
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sensitivity/figures.log",
    script:
        "../scripts/riott_figures.py"
