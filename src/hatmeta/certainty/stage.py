"""The certainty stage of one evidence set: read the declared files, assess, draw funnels.

:func:`run_certainty` is what the workflow's ``certainty`` rule calls: it takes paths (the
primary-prior fit of every analysis, its classical results, the rate-stage files of the
analyses whose counts are events, the harmonised figures and the optional risk-of-bias file with
its bibliography) and returns the table and the figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from hatmeta.certainty.assess import certainty_table, follow_up, read_draws, reml_i2
from hatmeta.certainty.events import MEASURE as RATE_MEASURE
from hatmeta.certainty.events import RateInputs, read_rate_inputs
from hatmeta.certainty.publication_bias import trial_log_odds_ratios
from hatmeta.certainty.rows import FitInputs
from hatmeta.display import p_text
from hatmeta.evidence_rules import rated_by_rates

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


class CertaintyOutputs(NamedTuple):
    """What the certainty stage writes: the table, one funnel figure per analysis, and the
    risk-of-bias judgements in use with each analysis's weighted shares by domain."""

    table: pd.DataFrame
    funnels: dict[str, Figure]
    rob_judgements: pd.DataFrame
    rob_shares: pd.DataFrame


def rob_weights(fit: FitInputs, rates: RateInputs | None) -> pd.Series:
    """The weights the risk-of-bias rule gives an analysis's trials: of their log rate ratios
    for an analysis rated from its rate fit, else of their log odds ratios (as
    :func:`hatmeta.certainty.assess.assess_analysis` chooses, by
    :func:`hatmeta.evidence_rules.rated_by_rates`)."""
    from hatmeta.certainty.events import rate_trials
    from hatmeta.certainty.risk_of_bias import log_or_weights, log_rate_ratio_weights

    if rates is not None and rated_by_rates(fit.diagnostics.get("status", ""), rates.fitted):
        trials = rate_trials(fit.trials, rates.diagnostics)
        return log_rate_ratio_weights(trials) if not trials.empty else pd.Series(dtype=float)
    return log_or_weights(fit.trials) if not fit.trials.empty else pd.Series(dtype=float)


def run_certainty(
    settings: CertaintySettings,
    fits: Mapping[str, FitFiles],
    classical: Mapping[str, str],
    harmonised_path: str,
    risk_of_bias_path: str | None = None,
    bibliography_path: str | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    rob2_answers_path: str | None = None,
) -> CertaintyOutputs:
    """The certainty table of every analysis, one funnel figure per analysis (a notice where
    publication bias was not assessable) and the risk-of-bias judgements it used.
    ``rates``: each analysis's rate-stage files (rates, diagnostics); an analysis whose counts
    are events is rated from them. ``risk_of_bias_path`` (published judgements) and
    ``rob2_answers_path`` (the review's RoB 2 answers) are optional, with the bibliography."""
    from hatmeta.certainty.rob_assessment import IN_USE, Assessment, domain_shares, load_checked

    harmonised = pd.read_csv(harmonised_path)
    inputs = {
        name: read_fit_inputs(fits[name], classical[name], harmonised, analysis.outcome.name)
        for name, analysis in settings.analyses.items()
    }
    outcomes = list(dict.fromkeys(a.outcome.name for a in settings.analyses.values()))
    assessment = Assessment(None, None, None)
    if risk_of_bias_path is not None or rob2_answers_path is not None:
        # Read through the same checks as at start-up (a fraction of a second); coverage of
        # the analyses was checked there and is not repeated.
        assessment = load_checked(
            risk_of_bias_path,
            bibliography_path,
            outcomes,
            harmonised["trial"].unique(),
            {},
            rob2_answers_path,
            settings.rob_several_concerns_high,
        )
    rob = assessment.in_use(outcomes)
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
    shares = [
        domain_shares(
            rob_weights(inputs[name], rate_inputs.get(name)), rob, analysis.outcome.name
        ).assign(analysis=name)
        for name, analysis in settings.analyses.items()
    ]
    shares = pd.concat(shares, ignore_index=True)[["analysis", "domain", "judgement", "share"]]
    judgements = rob if rob is not None else pd.DataFrame(columns=list(IN_USE))
    return CertaintyOutputs(table, figures, judgements.drop(columns="line"), shares)


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
