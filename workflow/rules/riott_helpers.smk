# Helpers of workflow/rules/riott.smk (kept apart: the linter wants rules and functions in
# separate files).
from hatmeta.riott import layout as riott_layout
from hatmeta.riott.grid import tipping_batches

RIOTT = SETTINGS.riott
SCENARIOS = list(RIOTT.scenarios)
HEROIN = list(RIOTT.tipping.heroin_scenarios)
# The tipping grid's cells in batches, one job per batch and heroin-arm scenario.
TIPPING_BATCHES = tipping_batches(RIOTT.tipping)


wildcard_constraints:
    scenario="|".join(map(re.escape, SCENARIOS)),
    heroin="|".join(map(re.escape, HEROIN)),
    batch=r"\d+",


def scenario(wildcards):
    """The named scenario of a ``{scenario}`` job."""
    return RIOTT.scenarios[wildcards.scenario]


def heroin_scenario(wildcards):
    """The scenario at which a grid job holds the heroin arm."""
    return RIOTT.scenarios[wildcards.heroin]


def batch_cells(wildcards):
    """The tipping-grid cells of one batch job."""
    return TIPPING_BATCHES[int(wildcards.batch)]


def batch_runtime(wildcards):
    """About 0.2 s per cell on a slow core: minutes, with room to spare."""
    return 10 + len(batch_cells(wildcards)) // 60


def riott_outputs():
    """Everything the RIOTT sensitivity analysis produces."""
    return [*rules.riott_base.output, *rules.riott_pooled.output, *rules.riott_figures.output]


def riott_base_table():
    """The analysis table (main evidence set) into which RIOTT's scenarios are carried."""
    return layout.fill(
        layout.ANALYSIS_TABLE, evidence=MAIN_EVIDENCE, analysis=RIOTT.tipping.analysis
    )


def riott_report_inputs():
    """The RIOTT files the report renders."""
    return {
        "riott_scenarios": riott_layout.SCENARIOS,
        "riott_tipping_points": riott_layout.TIPPING_POINTS,
        "riott_sentence": riott_layout.TIPPING_SENTENCE,
        "riott_heatmaps": rules.riott_figures.output.heatmaps,
        "riott_curve": riott_layout.CURVE,
    }


def riott_notebook_inputs():
    """The files the RIOTT notebook reads."""
    return {
        "harmonised": layout.HARMONISED,
        "facts": SETTINGS.data.riott_testing,
        "scenarios": riott_layout.SCENARIOS,
        "sentence": riott_layout.TIPPING_SENTENCE,
        "base": riott_layout.BASE_POSTERIOR,
    }
