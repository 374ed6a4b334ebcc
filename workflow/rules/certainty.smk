# GRADE certainty of evidence: one table per evidence set, from the primary-prior fits.


include: "certainty_helpers.smk"


rule certainty:
    """Rate the certainty of evidence of every analysis (GRADE domains, overrides, absolute
    effects, plain-language statements) and draw its funnel plot."""
    input:
        unpack(certainty_inputs),
    output:
        table=report(
            layout.CERTAINTY,
            caption="../report/certainty.rst",
            category="Certainty of evidence",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "table": "certainty of evidence"},
        ),
        funnel=report(
            expand(layout.FUNNEL, evidence="{evidence}", analysis=ANALYSES),
            caption="../report/funnel.rst",
            category="Certainty of evidence",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "funnel plots"},
        ),
    params:
        # Only what the certainty depends on: a changed threshold or override re-runs this
        # rule and the report, nothing upstream.
        certainty=SETTINGS.certainty,
        code=code_fingerprint("certainty.py"),
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/certainty/{evidence}.log",
    script:
        "../scripts/certainty.py"
