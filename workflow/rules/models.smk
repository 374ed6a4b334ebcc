rule fit:
    """Fit every analysis and evidence set under every heterogeneity prior: one job, so the
    model is compiled once per run."""
    input:
        tables=analysis_tables(),
    output:
        fit_outputs(PRIORS),
    params:
        model=SETTINGS.model,
        priors=SETTINGS.priors,
        code=code_fingerprint("fit.py"),
    # First in line: every figure, the report and the notebooks wait for it. One thread for the
    # scheduler: compiling (about a third of the job) is single-threaded, and nutpie's chains use
    # what the machine has while it samples.
    priority: 100
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    log:
        "logs/fit.log",
    script:
        "../scripts/fit.py"


rule rate_fit:
    """Pool every analysis whose counts are events as events over person-time (Poisson
    random-effects model, the analysis's primary prior): one job, one compile, and only when
    some analysis counts events."""
    input:
        tables=analysis_tables(),
    output:
        rate_outputs(),
    params:
        model=SETTINGS.model,
        priors=SETTINGS.priors,
        per=SETTINGS.rates.per_person_years,
        code=code_fingerprint("rate_fit.py"),
    # Beside the fit job, not after everything else: it needs only the analysis tables, and the
    # certainty stage and the report wait for it (its compile and sampling take half a minute).
    priority: 90
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    log:
        "logs/rate_fit.log",
    script:
        "../scripts/rate_fit.py"
