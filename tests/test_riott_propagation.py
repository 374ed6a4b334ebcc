"""RIOTT's scenarios carried into the pooled analysis: the quadrature bank against brute force.

The bank (the pooled posterior under every pair of RIOTT's counts, by quadrature, mixed with the
imputation frequencies) is compared with one MCMC refit of the pooled model per distinct imputed
pair, through the engine (:mod:`oracles.multiple_imputation`), for the named scenarios at the
extremes: ``worst_case`` (heroin responders up to 43/43), ``best_case_methadone``
(oral-methadone responders up to 42/42, the pairs that disagree most with the other trials) and
``missing_positive`` (the published counts); and a scenario off every grid, as the RIOTT
notebook answers it (:func:`hatmeta.riott.explore.answer`). The bank has no Monte Carlo error:
the tolerance is the refits' own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from oracles.multiple_imputation import brute_force
from riott_data import INPUTS, MAR, RIOTT

from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.stage import ModelStage
from hatmeta.data.tables import build_tables, included_arms
from hatmeta.riott import explore, propagation, scenarios
from hatmeta.riott.bank_build import build_bank
from hatmeta.riott.settings import PriorScales

SCENARIOS = {
    "worst_case": MAR._replace(name="worst_case", imor_heroin=np.inf, imor_methadone=0),
    "best_case_methadone": MAR._replace(name="best", imor_heroin=0, imor_methadone=np.inf),
    "missing_positive": MAR._replace(name="missing_positive", imor_heroin=0, imor_methadone=0),
}


@pytest.fixture(scope="module")
def pooled_model(project_settings):
    s = project_settings
    table = build_tables(s.data.extraction, s.data.bibliography, s.extract)["analyses"][
        ("all", "illicit_heroin")
    ]
    analysis = s.analysis("illicit_heroin")
    spec = s.prior(analysis.primary_prior)
    arms = included_arms(table)
    stage = ModelStage(s.model, n_trials=arms["trial"].nunique())
    prior = stage.prior(spec, analysis)
    scales = PriorScales(s.model.effect_sd, s.model.baseline_sd)
    bank = build_bank(table, "EN2010", prior, scales, analysis.name).bank
    return bank, stage, FitData.from_arms(arms, stage.runner.n_trials), prior


def test_the_bank_covers_every_pair(pooled_model):
    bank = pooled_model[0]
    assert len(bank.pairs) == (43 - 31 + 1) * (42 - 11 + 1)
    assert bank.pairs.min(axis=0).tolist() == [31, 11]
    assert bank.pairs.max(axis=0).tolist() == [43, 42]
    # every CDF starts at 0, ends at 1 and never decreases
    assert np.all(bank.cdf[:, 0] == 0) and np.allclose(bank.cdf[:, -1], 1)
    assert np.all(np.diff(bank.cdf, axis=1) >= -1e-12)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_mixture_matches_brute_force_refits_within_monte_carlo_error(pooled_model, name):
    bank, stage, data, prior = pooled_model
    [run] = scenarios.run(RIOTT, [SCENARIOS[name]], INPUTS, 20000)
    imputations = run.imputations()
    fast = propagation.mixture(bank, imputations, higher_is_better=True)
    exact = brute_force(stage, data, prior, "EN2010", imputations, higher_is_better=True)
    assert exact.refits == len(imputations) == fast["imputed_pairs"]
    assert abs(fast["pooled_p_benefit"] - exact.p_benefit) <= 4 * exact.p_benefit_se, (
        fast,
        exact,
    )
    difference = abs(np.log(fast["pooled_or_median"]) - exact.log_or_median)
    assert difference <= 4 * exact.log_or_median_se, (fast, exact)


def test_an_off_grid_answer_matches_brute_force_refits(pooled_model):
    """The notebook's own scenario: a heroin IMOR and missing share no cell or named scenario
    has (13 imputed pairs, each refitted), answered through the bank as the notebook does."""
    bank, stage, data, prior = pooled_model
    scenario = explore.your_scenario(0.3, 0.0, 0.12)
    [row] = explore.answer(RIOTT, scenario, INPUTS, bank, True).to_dict("records")
    [run] = scenarios.run(RIOTT, [scenario], INPUTS, RIOTT.draws)  # the same imputations
    exact = brute_force(stage, data, prior, "EN2010", run.imputations(), higher_is_better=True)
    assert row["usable"] and exact.refits == row["imputed_pairs"] > 5
    assert abs(row["pooled_p_benefit"] - exact.p_benefit) <= 4 * exact.p_benefit_se, (row, exact)
    difference = abs(np.log(row["pooled_or_median"]) - exact.log_or_median)
    assert difference <= 4 * exact.log_or_median_se, (row, exact)


def test_quantiles_of_a_tabulated_cdf():
    x = np.linspace(-5, 5, 10001)
    from scipy import stats

    cdf = stats.norm.cdf(x, 0.3, 1.2)
    q = propagation.quantiles(cdf, x)
    assert q == pytest.approx(stats.norm.ppf([0.025, 0.5, 0.975], 0.3, 1.2), abs=1e-4)


def test_tipping_imor_interpolates_the_first_usable_crossing():
    curve = pd.DataFrame(
        {
            "imor_methadone": [0, 0.5, 1, 2],
            "riott_or_lower": [3.0, 2.0, 0.5, 0.2],
            "usable": [True, True, True, True],
        }
    )
    assert propagation.tipping_imor(curve, "riott_or_lower", 1.0, True) == pytest.approx(
        0.5 + 0.5 / 1.5
    )
    # an unusable cell is skipped: the crossing is interpolated between its neighbours
    skipped = curve.assign(usable=[True, True, False, True])
    assert propagation.tipping_imor(skipped, "riott_or_lower", 1.0, True) == pytest.approx(
        0.5 + 1.5 * 1.0 / 1.8
    )
    never = curve.assign(riott_or_lower=[3.0, 2.5, 2.0, 1.5])
    assert np.isnan(propagation.tipping_imor(never, "riott_or_lower", 1.0, True))
    none_usable = curve.assign(usable=False)
    assert np.isnan(propagation.tipping_imor(none_usable, "riott_or_lower", 1.0, True))
