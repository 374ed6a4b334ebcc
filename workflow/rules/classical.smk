rule classical:
    """Mantel-Haenszel and DerSimonian-Laird for every analysis; published pools reproduced."""
    input:
        tables=analysis_tables(),
        published=config["data"]["published_effects"],
    output:
        tables=expand("results/classical/{evidence}/{analysis}.csv", evidence=EVIDENCE_SETS,
                      analysis=ANALYSES),
        comparison=report(
            "results/classical/published_comparison.csv",
            caption="../report/published_comparison.rst",
            category="Classical reproduction",
            labels={"table": "published pooled results vs reproduction"},
        ),
    params:
        analyses=config["analyses"],
        main_evidence=EVIDENCE_SETS[0],
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/classical.log",
    script:
        "../scripts/classical.py"
