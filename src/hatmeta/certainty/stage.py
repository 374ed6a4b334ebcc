"""The certainty stage of one evidence set: read the declared files, assess, draw funnels.

:func:`run_certainty` is what the workflow's ``certainty`` rule calls: it takes paths (the
primary-prior fit of every analysis, its classical results, the rate-stage files of the
analyses whose counts are events, the harmonised figures and the optional risk-of-bias file with
its bibliography) and returns the table and the figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hatmeta.certainty.assess import FitInputs, certainty_table, follow_up, read_draws, reml_i2
from hatmeta.certainty.events import MEASURE as RATE_MEASURE
from hatmeta.certainty.events import read_rate_inputs
from hatmeta.certainty.publication_bias import trial_log_odds_ratios
from hatmeta.display import p_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hatmeta.config import CertaintySettings
    from hatmeta.layout import FitFiles


def read_fit_inputs(
    files: FitFiles, classical_path: str, harmonised: pd.DataFrame, outcome: str
) -> FitInputs:
    """One analysis's fit (primary prior) and classical results, read."""
    trials = pd.read_csv(files.trials)
    summary = pd.read_csv(files.summary)
    has_data = "median" in summary.columns and not summary.empty
    with open(files.diagnostics) as handle:
        diagnostics = json.load(handle)
    classical = pd.read_csv(classical_path)
    return FitInputs(
        trials=trials,
        summary=summary.set_index("quantity") if has_data else None,
        diagnostics=diagnostics,
        log_or_draws=read_draws(files.posterior) if has_data else None,
        i2=reml_i2(classical),
        follow_up=follow_up(harmonised, trials, outcome),
    )


def run_certainty(
    settings: CertaintySettings,
    fits: Mapping[str, FitFiles],
    classical: Mapping[str, str],
    harmonised_path: str,
    risk_of_bias_path: str | None = None,
    bibliography_path: str | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[pd.DataFrame, dict[str, Figure]]:
    """The certainty table of every analysis, and one funnel figure per analysis (a notice
    where publication bias was not assessable). ``rates``: each analysis's rate-stage files
    (rates, diagnostics); an analysis whose counts are events is rated from them."""

    from hatmeta.certainty.risk_of_bias import read_risk_of_bias
    from hatmeta.data.sheet import load_bibliography

    harmonised = pd.read_csv(harmonised_path)
    inputs = {
        name: read_fit_inputs(fits[name], classical[name], harmonised, analysis.outcome.name)
        for name, analysis in settings.analyses.items()
    }
    rob = None
    if risk_of_bias_path is not None:
        keys = load_bibliography(bibliography_path)["key"]
        outcomes = {a.outcome.name for a in settings.analyses.values()}
        rob = read_risk_of_bias(risk_of_bias_path, keys, outcomes)
    rate_inputs = {name: read_rate_inputs(*files) for name, files in (rates or {}).items()}
    table, tests = certainty_table(settings, inputs, rob, rate_inputs)
    measures = (
        dict(zip(table["analysis"], table["effect_measure"], strict=True))
        if "effect_measure" in table
        else {}
    )
    figures = {
        name: funnel_figure(settings, name, inputs[name], tests.get(name), measures.get(name))
        for name in inputs
    }
    return table, figures


def funnel_figure(
    settings: CertaintySettings, name: str, fit: FitInputs, test, measure: str | None = None
) -> Figure:
    """The funnel plot of one analysis, or a notice saying why there is none (the plot is of
    odds ratios: for counts of events the test's result is given as a notice)."""
    from hatmeta.figures import placeholder
    from hatmeta.plots import funnel_plot

    analysis = settings.analyses[name]
    if test is None:
        return placeholder(
            f"{analysis.title}: {len(fit.trials)} trial(s); no funnel plot or asymmetry test "
            f"with fewer than {settings.publication_min_trials}."
        )
    text = f"Regression test (predictor {test.predictor}): {p_text(test.p)}"
    if measure == RATE_MEASURE:
        return placeholder(
            f"{analysis.title}: {text}, on the trials' log rate ratios; the funnel plot is drawn "
            "for odds ratios only."
        )
    yi, vi, _ = trial_log_odds_ratios(fit.trials)
    return funnel_plot(
        yi, np.sqrt(vi), title=analysis.title, event=analysis.outcome.event, test_text=text
    )
