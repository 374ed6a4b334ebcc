rule extract:
    """Validate the extraction sheet, harmonise outcome directions, build analysis tables."""
    input:
        sheet=SETTINGS.data.extraction,
        bibliography=SETTINGS.data.bibliography,
        trials=SETTINGS.data.trials or [],
    output:
        harmonised=layout.HARMONISED,
        audit=report(
            layout.AUDIT,
            caption="../report/audit.rst",
            category="Data",
            labels={"table": "extraction audit"},
        ),
        analyses=analysis_tables(),
    params:
        settings=SETTINGS.extract,
        code=code_fingerprint("extract.py"),
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/extract.log",
    script:
        "../scripts/extract.py"


rule trial_flow:
    """Characteristics of the trials, trial x analysis (included or why not) and the flow
    figure (when the config names a trials table)."""
    input:
        trials=SETTINGS.data.trials or [],
        bibliography=SETTINGS.data.bibliography,
        audit=layout.AUDIT,
        harmonised=layout.HARMONISED,
        tables=analysis_tables(evidence=[MAIN_EVIDENCE]),
    output:
        characteristics=report(
            layout.CHARACTERISTICS,
            caption="../report/characteristics.rst",
            category="Data",
            labels={"table": "characteristics of the trials"},
        ),
        matrix=layout.TRIAL_FLOW,
        counts=layout.TRIAL_FLOW_COUNTS,
        figure=report(
            layout.TRIAL_FLOW_FIGURE,
            caption="../report/trial_flow.rst",
            category="Data",
            labels={"figure": "trial flow"},
        ),
    params:
        settings=SETTINGS.extract,
        statuses=SETTINGS.evidence.sets[MAIN_EVIDENCE],
        code=code_fingerprint("trial_flow.py"),
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/trial_flow.log",
    script:
        "../scripts/trial_flow.py"
