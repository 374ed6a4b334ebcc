rule figures:
    """Forest plot and rank plots (primary prior) and prior-sensitivity plot of every analysis."""
    input:
        fits=fit_outputs(PRIORS, evidence="{evidence}"),
    output:
        forest=report(
            expand(layout.FOREST, evidence="{evidence}", analysis=ANALYSES),
            caption="../report/forest.rst",
            category="Forest plots",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "forest plots"},
        ),
        prior_sensitivity=report(
            expand(layout.PRIOR_SENSITIVITY, evidence="{evidence}", analysis=ANALYSES),
            caption="../report/prior_sensitivity.rst",
            category="Prior sensitivity",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "prior sensitivity"},
        ),
        rank=report(
            expand(layout.RANK_PLOT, evidence="{evidence}", analysis=ANALYSES),
            caption="../report/rank.rst",
            category="Sampler diagnostics",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "rank plots"},
        ),
    params:
        analyses=SETTINGS.analyses,
        priors=SETTINGS.priors,
        comparison=SETTINGS.comparison,
        code=code_fingerprint("figures.py"),
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/figures/{evidence}.log",
    script:
        "../scripts/figures.py"
