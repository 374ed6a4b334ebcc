# Helpers of workflow/rules/riott.smk (kept apart: the linter wants rules and functions in
# separate files).
from hatmeta.riott import layout as riott_layout
from hatmeta.riott.grid import batches

RIOTT = SETTINGS.riott
SCENARIOS = list(RIOTT.scenarios)
HEROIN = list(RIOTT.tipping.heroin_scenarios)
HIGHER_IS_BETTER = SETTINGS.analysis(RIOTT.tipping.analysis).outcome.higher_is_better
# The rules whose results the report shows (see report_stages).
RIOTT_STAGES = [
    "riott_scenario",
    "riott_cells",
    "riott_bank",
    "riott_scenarios_pooled",
    "riott_cells_pooled",
    "riott_figures",
]
# The heatmap, tipping and structural cells in batches, one job per batch.
CELL_BATCHES = batches(RIOTT)


wildcard_constraints:
    scenario="|".join(map(re.escape, SCENARIOS)),
    heroin="|".join(map(re.escape, HEROIN)),
    batch=r"\d+",


def scenario(wildcards):
    """The named scenario of a ``{scenario}`` job."""
    return RIOTT.scenarios[wildcards.scenario]


def batch_cells(wildcards):
    """The cells of one batch job."""
    return CELL_BATCHES[int(wildcards.batch)]


def batch_runtime(wildcards):
    """About 0.1 s per cell on a slow core: minutes, with room to spare."""
    return 10 + len(batch_cells(wildcards)) // 60


def riott_outputs():
    """Everything the RIOTT sensitivity analysis produces."""
    return [
        *rules.riott_bank.output,
        *rules.riott_scenarios_pooled.output,
        *rules.riott_cells_pooled.output,
        *rules.riott_figures.output,
    ]


def riott_bank_table():
    """The analysis table (main evidence set) into which RIOTT's scenarios are carried."""
    return layout.fill(
        layout.ANALYSIS_TABLE, evidence=MAIN_EVIDENCE, analysis=RIOTT.tipping.analysis
    )


def riott_prior():
    """The pooled analysis's primary heterogeneity prior, resolved for its outcome."""
    from hatmeta.priors import resolve

    analysis = SETTINGS.analysis(RIOTT.tipping.analysis)
    spec = SETTINGS.prior(analysis.primary_prior)
    return resolve(spec, analysis.outcome, SETTINGS.model.turner_comparison)


def riott_prior_scales():
    """The pooled model's other prior settings the bank depends on (only these: editing the
    sampler or the diagnostics targets leaves the bank alone)."""
    from hatmeta.riott.settings import PriorScales

    return PriorScales(SETTINGS.model.effect_sd, SETTINGS.model.baseline_sd)


def riott_report_inputs():
    """The RIOTT files the report renders."""
    return {
        "riott_scenarios": riott_layout.SCENARIOS,
        "riott_cells": riott_layout.CELLS,
        "riott_tipping_points": riott_layout.TIPPING_POINTS,
        "riott_tipping_map": riott_layout.TIPPING_MAP,
        "riott_depends_on": riott_layout.DEPENDS_ON,
        "riott_structural": riott_layout.STRUCTURAL,
        "riott_sentences": riott_layout.SENTENCES,
        "riott_bank_checks": riott_layout.BANK_CHECKS,
        "riott_heatmaps": rules.riott_figures.output.heatmaps,
        "riott_curve": riott_layout.CURVE,
    }


def riott_notebook_inputs():
    """The files the RIOTT notebook reads."""
    return {
        "harmonised": layout.HARMONISED,
        "facts": SETTINGS.data.riott_testing,
        "scenarios": riott_layout.SCENARIOS,
        "cells": riott_layout.CELLS,
        "tipping_points": riott_layout.TIPPING_POINTS,
        "depends_on": riott_layout.DEPENDS_ON,
        "bank": riott_layout.BANK,
    }
