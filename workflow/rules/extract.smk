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
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/extract.log",
    script:
        "../scripts/extract.py"
