# The self-contained HTML report and the executed reviewing notebooks.


include: "report_helpers.smk"


rule vega_library:
    """The Vega library as one script, for the report's interactive views (written once: it
    depends only on the installed vl-convert)."""
    output:
        layout.VEGA,
    params:
        version=package_version("vl-convert-python"),
        code=code_fingerprint("vega_library.py"),
    log:
        "logs/vega_library.log",
    script:
        "../scripts/vega_library.py"


rule report:
    """Assemble results/report/report.html (self-contained) from the declared results."""
    input:
        **report_inputs(),
    output:
        html=report(
            layout.REPORT,
            caption="../report/report.rst",
            category="Report",
            labels={"document": "HTML report"},
        ),
        summary=report(
            layout.SUMMARY_OF_FINDINGS,
            caption="../report/summary_of_findings.rst",
            category="Report",
            labels={"document": "summary of findings (GRADE)"},
        ),
        bayesian=report(
            layout.BAYESIAN_SUMMARY,
            caption="../report/bayesian_summary.rst",
            category="Report",
            labels={"document": "Bayesian summary"},
        ),
        provenance=layout.PROVENANCE,
        **network_report_outputs(),
    params:
        settings=SETTINGS,
        networks=NETWORKS,
        config=config,
        data_files=data_files(),
        code=code_fingerprint("report.py"),
        stage_code=stage_code(),
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
        unpack(notebook_inputs),
    output:
        ipynb=layout.NOTEBOOK_IPYNB,
        config_file=layout.NOTEBOOK_CONFIG,
        html=report(
            layout.NOTEBOOK_HTML,
            caption="../report/notebook.rst",
            category="Reviewing notebooks",
            labels={"notebook": "{notebook}"},
        ),
    params:
        parameters=notebook_parameters,
        config=notebook_config,
        code=code_fingerprint("run_notebook.py", sources=notebook_source),
    wildcard_constraints:
        notebook="|".join(NOTEBOOKS),
    resources:
        mem_mb=3000,
        runtime=30,
    log:
        "logs/notebooks/{notebook}.log",
    script:
        "../scripts/run_notebook.py"
