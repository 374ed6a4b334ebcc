rule fit:
    """Fit every analysis and evidence set under one heterogeneity prior (one compiled model)."""
    input:
        tables=analysis_tables(),
    output:
        fit_outputs("{prior}"),
    params:
        model=SETTINGS.model,
        prior=prior_spec,
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/fit/{prior}.log",
    script:
        "../scripts/fit.py"
