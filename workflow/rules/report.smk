# The self-contained HTML report and the executed reviewing notebooks.


include: "report_helpers.smk"


rule report:
    """Assemble results/report/report.html (self-contained) from the results tables and figures."""
    input:
        **report_inputs(),
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report.rst",
            category="Report",
            labels={"document": "HTML report"},
        ),
        summary=report(
            "results/report/summary_of_findings.csv",
            caption="../report/summary_of_findings.rst",
            category="Report",
            labels={"document": "summary of findings"},
        ),
        provenance="results/report/provenance.json",
    params:
        config=config,
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/report.log",
    script:
        "../scripts/report.py"


rule notebook:
    """Execute a reviewing notebook (jupytext py:percent source) into .ipynb and .html."""
    input:
        notebook_inputs,
    output:
        ipynb="results/notebooks/{notebook}.ipynb",
        html=report(
            "results/notebooks/{notebook}.html",
            caption="../report/notebook.rst",
            category="Reviewing notebooks",
            labels={"notebook": "{notebook}"},
        ),
    params:
        parameters=notebook_parameters,
    wildcard_constraints:
        notebook="|".join(NOTEBOOKS),
    resources:
        mem_mb=3000,
        runtime=30,
    log:
        "logs/notebooks/{notebook}.log",
    script:
        "../scripts/run_notebook.py"
