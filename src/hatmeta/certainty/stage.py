"""The certainty stage of one evidence set: read the declared files, assess, draw funnels.

:func:`run_certainty` is what the workflow's ``certainty`` rule calls: it takes paths (the
primary-prior fit of every analysis, its classical results, the harmonised figures and the
optional risk-of-bias file with its bibliography) and returns the table and the figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hatmeta.certainty.assess import FitInputs, certainty_table, follow_up, read_draws, reml_i2
from hatmeta.certainty.publication_bias import trial_log_odds_ratios

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
) -> tuple[pd.DataFrame, dict[str, Figure]]:
    """The certainty table of every analysis, and one funnel figure per analysis (a notice
    where publication bias was not assessable)."""
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
    table, tests = certainty_table(settings, inputs, rob)
    figures = {
        name: funnel_figure(settings, name, inputs[name], tests.get(name)) for name in inputs
    }
    return table, figures


def funnel_figure(settings: CertaintySettings, name: str, fit: FitInputs, test) -> Figure:
    """The funnel plot of one analysis, or a notice saying why there is none."""
    from hatmeta.figures import placeholder
    from hatmeta.plots import funnel_plot

    analysis = settings.analyses[name]
    if test is None:
        return placeholder(
            f"{analysis.title}: {len(fit.trials)} trial(s); no funnel plot or asymmetry test "
            f"with fewer than {settings.publication_min_trials}."
        )
    yi, vi, _ = trial_log_odds_ratios(fit.trials)
    text = f"Regression test (predictor {test.predictor}): p = {test.p:.3f}"
    return funnel_plot(
        yi, np.sqrt(vi), title=analysis.title, event=analysis.outcome.event, test_text=text
    )
