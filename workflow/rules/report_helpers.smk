# Helpers of workflow/rules/report.smk (kept apart: the linter wants rules and functions in
# separate files).
from pathlib import Path

NOTEBOOKS = ["extraction_audit", "model_checks"]
# Notebooks of optional stages, with the config section they show.
STAGE_NOTEBOOKS = {"riott_sensitivity": "riott"}
if SETTINGS.riott is not None:
    NOTEBOOKS.append("riott_sensitivity")
# Config sections no notebook shows: editing them (say, a certainty threshold or override)
# re-runs no notebook.
NOT_IN_NOTEBOOKS = ["certainty"]


def report_inputs():
    """Every file the report renders: exactly these, whatever else lies under results/."""
    inputs = {
        "audit": layout.AUDIT,
        "fits": fit_outputs(PRIORS),
        "classical": expand(layout.CLASSICAL, evidence=MAIN_EVIDENCE, analysis=ANALYSES),
        "figures": expand(
            [layout.FOREST, layout.PRIOR_SENSITIVITY, layout.RANK_PLOT, layout.FUNNEL],
            evidence=MAIN_EVIDENCE,
            analysis=ANALYSES,
        ),
        "rates": rate_outputs(),
        "certainty": layout.fill(layout.CERTAINTY, evidence=MAIN_EVIDENCE),
        "data": list(data_files().values()),
    }
    if SETTINGS.data.risk_of_bias is not None or SETTINGS.data.rob2_answers is not None:
        inputs |= {
            "rob_judgements": layout.fill(layout.ROB_JUDGEMENTS, evidence=MAIN_EVIDENCE),
            "rob_traffic_light": layout.fill(layout.ROB_TRAFFIC_LIGHT, evidence=MAIN_EVIDENCE),
            "rob_summary": layout.fill(layout.ROB_SUMMARY, evidence=MAIN_EVIDENCE),
        }
        if SETTINGS.data.rob2_answers is not None:
            inputs["rob_answers"] = SETTINGS.data.rob2_answers
        if SETTINGS.data.risk_of_bias is not None:
            inputs["rob_published"] = SETTINGS.data.risk_of_bias
    if SETTINGS.data.published_effects is not None:
        inputs["published"] = layout.PUBLISHED_COMPARISON
        inputs["published_effects"] = SETTINGS.data.published_effects
    if SETTINGS.data.trials is not None:
        flow = rules.trial_flow.output
        inputs |= {
            "flow_characteristics": flow.characteristics,
            "flow_matrix": flow.matrix,
            "flow_counts": flow.counts,
            "flow_figure": flow.figure,
        }
    if SETTINGS.riott is not None:
        inputs |= riott_report_inputs()
        inputs["vega"] = layout.VEGA  # the explorer's library
    if NETWORKS is not None:
        inputs |= {
            f"network_{kind}": expand(pattern, evidence=MAIN_EVIDENCE, network=NETWORK_NAMES)
            for kind, pattern in layout.NETWORK_FILES._asdict().items()
        }
    return inputs


def network_report_outputs():
    """The report's table of network comparisons, when the config has networks."""
    if NETWORKS is None:
        return {}
    return {
        "network_summary": report(
            layout.NETWORK_SUMMARY_OF_FINDINGS,
            caption="../report/network_summary_of_findings.rst",
            category="Report",
            labels={"document": "summary of findings, network comparisons (GRADE)"},
        )
    }


def report_stages():
    """The rules whose results the report shows, directly or through another rule's results
    (tests/test_workflow.py checks this list against the DAG)."""
    stages = ["extract", "fit", "rate_fit", "classical", "figures", "certainty"]
    if SETTINGS.data.published_effects is not None:
        stages.append("published_comparison")
    if SETTINGS.data.trials is not None:
        stages.append("trial_flow")
    if SETTINGS.riott is not None:
        stages += [*RIOTT_STAGES, "vega_library"]
    if NETWORKS is not None:
        stages.append("network")
    return stages


def stage_code():
    """Rule -> fingerprint of the code that writes the results the report shows. Each is also
    that rule's own `code` param, so Snakemake re-runs a rule whose results were written by
    other code before the report shows them: the report's record is that of its inputs."""
    return {stage: getattr(rules, stage).params.code for stage in report_stages()}


def notebook_source(wildcards):
    """The notebook's jupytext source (in the repository, which need not be the working
    directory)."""
    return str(WORKFLOW_DIR / f"notebooks/{wildcards.notebook}.py")


def notebook_inputs(wildcards):
    """The notebook's source and the results it reads, by name."""
    source = notebook_source(wildcards)
    if wildcards.notebook == "extraction_audit":
        return {
            "source": source,
            "audit": layout.AUDIT,
            "harmonised": layout.HARMONISED,
            "tables": analysis_tables(),
        }
    if wildcards.notebook == "model_checks":
        analysis = SETTINGS.analysis(SETTINGS.report.model_checks_analysis)
        files = layout.fit_files(MAIN_EVIDENCE, analysis.name, analysis.primary_prior)
        return {
            "source": source,
            **files._asdict(),
            "table": layout.fill(
                layout.ANALYSIS_TABLE, evidence=MAIN_EVIDENCE, analysis=analysis.name
            ),
        }
    return {"source": source, **riott_notebook_inputs()}


def notebook_config(wildcards):
    """The config a notebook reads: without the optional stages' sections it does not show, so
    that editing one of them (say, a scenario) re-runs only the notebook that shows it."""
    shown = STAGE_NOTEBOOKS.get(wildcards.notebook)
    hidden = (set(STAGE_NOTEBOOKS.values()) - {shown}) | set(NOT_IN_NOTEBOOKS)
    return {key: value for key, value in config.items() if key not in hidden}


def notebook_parameters(wildcards):
    """Values the notebook gets after its `parameters` cell, beside the config and inputs."""
    if wildcards.notebook == "model_checks":
        return {"analysis": SETTINGS.report.model_checks_analysis, "evidence": MAIN_EVIDENCE}
    return {}


def report_outputs():
    return [*rules.report.output, *expand(rules.notebook.output, notebook=NOTEBOOKS)]
