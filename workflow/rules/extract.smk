rule extract:
    """Validate the extraction sheet, harmonise outcome directions, build analysis tables."""
    input:
        sheet=config["data"]["extraction"],
        bibliography=config["data"]["bibliography"],
    output:
        harmonised="results/data/harmonised.csv",
        audit=report(
            "results/data/audit.csv",
            caption="../report/audit.rst",
            category="Data",
            labels={"table": "extraction audit"},
        ),
        analyses=analysis_tables(),
    params:
        outcomes=config["outcomes"],
        analyses=config["analyses"],
        comparison=config["comparison"],
        evidence=config["evidence"],
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/extract.log",
    script:
        "../scripts/extract.py"
