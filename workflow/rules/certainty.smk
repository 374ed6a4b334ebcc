# GRADE certainty of evidence: one table per evidence set, from the primary-prior fits.


include: "certainty_helpers.smk"


rule certainty:
    """Rate the certainty of evidence of every analysis (GRADE domains, overrides, absolute
    effects, plain-language statements), draw its funnel plot, and write the risk-of-bias
    judgements it used (derived from the review's RoB 2 answers where given) with their
    traffic-light and weighted summary figures."""
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
        rob_judgements=layout.ROB_JUDGEMENTS,
        rob_shares=layout.ROB_SHARES,
        rob_traffic_light=report(
            layout.ROB_TRAFFIC_LIGHT,
            caption="../report/rob_traffic_light.rst",
            category="Certainty of evidence",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "risk of bias by trial and domain"},
        ),
        rob_summary=report(
            layout.ROB_SUMMARY,
            caption="../report/rob_summary.rst",
            category="Certainty of evidence",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "risk of bias weighted by analysis"},
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
