rule classical:
    """Mantel-Haenszel, inverse-variance, DerSimonian-Laird and REML (with HKSJ and prediction
    intervals) for every analysis."""
    input:
        tables=analysis_tables(),
    output:
        tables=expand(layout.CLASSICAL, evidence=EVIDENCE_SETS, analysis=ANALYSES),
    params:
        code=code_fingerprint("classical.py"),
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/classical.log",
    script:
        "../scripts/classical.py"


rule published_comparison:
    """Published pooled results reproduced on the same trials (when the config lists a file of
    published effects)."""
    input:
        tables=analysis_tables(evidence=[MAIN_EVIDENCE]),
        published=SETTINGS.data.published_effects or [],
        audit=layout.AUDIT,
    output:
        report(
            layout.PUBLISHED_COMPARISON,
            caption="../report/published_comparison.rst",
            category="Classical reproduction",
            labels={"table": "published pooled results vs reproduction"},
        ),
    params:
        analyses=SETTINGS.analyses,
        comparison=SETTINGS.comparison,
        code=code_fingerprint("published_comparison.py"),
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/published_comparison.log",
    script:
        "../scripts/published_comparison.py"
