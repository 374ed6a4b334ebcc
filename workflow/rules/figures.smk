rule figures:
    """Forest plot (primary prior) and prior-sensitivity plot of every analysis."""
    input:
        fits=expand(
            "results/fits/{{evidence}}/{analysis}/{prior}/{file}",
            analysis=ANALYSES,
            prior=PRIORS,
            file=("summary.csv", "trials.csv"),
        ),
    output:
        forest=report(
            expand("results/figures/{{evidence}}/forest_{analysis}.png", analysis=ANALYSES),
            caption="../report/forest.rst",
            category="Forest plots",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "forest plots"},
        ),
        prior_sensitivity=report(
            expand("results/figures/{{evidence}}/prior_sensitivity_{analysis}.png",
                   analysis=ANALYSES),
            caption="../report/prior_sensitivity.rst",
            category="Prior sensitivity",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "prior sensitivity"},
        ),
    params:
        figure_config=figure_config(),
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/figures/{evidence}.log",
    script:
        "../scripts/figures.py"
