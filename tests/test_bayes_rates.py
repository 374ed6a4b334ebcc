"""The Poisson rate model: exposure, the exact posterior of a common rate ratio, absolute rates.

With tau fixed at (almost) zero and a flat prior on each trial's log rate, the posterior of the
log rate ratio ``d`` is known exactly: conditioned on its total ``n_i``, trial ``i``'s treatment
count is ``Binomial(n_i, p_i)`` with ``p_i = E_T RR / (E_T RR + E_C)``, so
``p(d | y) ∝ Normal(d; 0, effect_sd) * prod_i p_i^yT_i (1 - p_i)^yC_i``, computed here by 1-D
quadrature and compared with the sampled posterior within 4 Monte Carlo standard errors.
"""

from __future__ import annotations

import arviz_stats as azs
import numpy as np
import pandas as pd
import pytest
from bayes_data import GATE, SAMPLER

from hatmeta.bayes.rate_stage import RateFiles, fit_rates
from hatmeta.bayes.rates import RateData, RateRunner, exposures, follow_up_years, summarise_rates
from hatmeta.priors import half_normal

#: (trial, events treatment, person-years treatment, events control, person-years control)
TRIALS = [("A", 12, 40.0, 5, 45.0), ("B", 7, 20.0, 3, 25.0)]
EFFECT_SD = 10.0  # flat-ish; the quadrature includes it exactly
BASELINE_SD = 1000.0  # flat on the log rate, as the conditional-binomial result needs
TAU_ZERO = half_normal(1e-6, "tau_zero")
PROBS = (0.025, 0.5, 0.975)


def arms(trials=TRIALS) -> pd.DataFrame:
    rows = []
    for trial, y_t, e_t, y_c, e_c in trials:
        rows += [
            {"trial": trial, "role": "treatment", "events": y_t, "person_years": e_t},
            {"trial": trial, "role": "control", "events": y_c, "person_years": e_c},
        ]
    return pd.DataFrame(rows)


def exact_quantiles(trials, probs=PROBS, effect_sd=EFFECT_SD) -> np.ndarray:
    """Quantiles of the exact posterior of ``d`` (tau = 0, flat baselines) by quadrature."""
    d = np.linspace(-12.0, 12.0, 240_001)
    log_post = -0.5 * (d / effect_sd) ** 2
    for _, y_t, e_t, y_c, e_c in trials:
        log_p = np.log(e_t) + d - np.logaddexp(np.log(e_t) + d, np.log(e_c))
        log_q = np.log(e_c) - np.logaddexp(np.log(e_t) + d, np.log(e_c))
        log_post += y_t * log_p + y_c * log_q
    density = np.exp(log_post - log_post.max())
    cdf = np.cumsum(density)
    cdf /= cdf[-1]
    return np.interp(probs, cdf, d)


@pytest.fixture(scope="module")
def rate_runner() -> RateRunner:
    # Three slots for two trials: the masked slot is exercised too.
    return RateRunner(3, SAMPLER, effect_sd=EFFECT_SD, baseline_sd=BASELINE_SD)


@pytest.fixture(scope="module")
def tau_zero_fit(rate_runner):
    data = RateData.from_arms(arms(), rate_runner.n_trials)
    return data, rate_runner.fit(data, TAU_ZERO, GATE)


def test_follow_up_is_read_from_the_time_point() -> None:
    assert follow_up_years("12 months") == 1.0
    assert follow_up_years("26 weeks") == 0.5
    assert follow_up_years("9 months") == 0.75
    assert follow_up_years("1 year") == 1.0
    with pytest.raises(ValueError, match="follow-up"):
        follow_up_years("end of treatment")


def test_exposure_is_approximated_and_says_so_unless_person_time_is_given() -> None:
    rows = pd.DataFrame(
        {"total": [515, 111], "timepoint": ["12 months", "26 weeks"], "person_years": [None, 40.5]}
    )
    out = exposures(rows)
    assert out["person_years"].tolist() == [515.0, 40.5]
    assert out["exposure_approximated"].tolist() == [True, False]
    assert "515 participants" in out.at[0, "exposure_basis"]
    assert out.at[1, "exposure_basis"] == "published person-years"
    # Without the column every arm is approximated.
    assert exposures(rows.drop(columns="person_years"))["exposure_approximated"].all()


def test_rate_ratio_matches_the_exact_conditional_binomial_posterior(tau_zero_fit) -> None:
    _, fit = tau_zero_fit
    assert not fit.failures, fit.failures
    draws = fit.tree["posterior"]["d"]
    sampled = np.quantile(draws.values.ravel(), PROBS)
    mcse = np.array([float(azs.mcse(draws, method="quantile", prob=p)) for p in PROBS])
    exact = exact_quantiles(TRIALS)
    assert np.all(np.abs(sampled - exact) <= 4 * mcse), (sampled, exact, mcse)
    # The comparison has power: swapping the exposures of the arms moves the exact posterior
    # far outside Monte Carlo error.
    swapped = [(t, yt, ec, yc, et) for t, yt, et, yc, ec in TRIALS]
    assert np.all(np.abs(sampled - exact_quantiles(swapped)) > 4 * mcse)


def test_rates_per_100_person_years_are_computed_from_the_draws(tau_zero_fit) -> None:
    data, fit = tau_zero_fit
    summary = summarise_rates(fit.tree, data.control_rate(), per=100.0).set_index("quantity")
    control = (5 + 3) / (45.0 + 25.0)
    ratio = np.exp(fit.tree["posterior"]["d"].values.ravel())
    assert summary.at["rate_control", "median"] == pytest.approx(100 * control)
    assert summary.at["rate_treatment", "median"] == pytest.approx(np.median(100 * control * ratio))
    assert summary.at["rate_difference", "median"] == pytest.approx(
        np.median(100 * control * (ratio - 1))
    )
    assert summary.at["rate_ratio", "median"] == pytest.approx(np.median(ratio))
    assert summary.at["P(rate_ratio > 1)", "mean"] == pytest.approx(np.mean(ratio > 1))
    assert "8 events / 70 person-years" in summary.at["rate_treatment", "note"]


def test_a_participant_count_is_not_a_rate_outcome(project_settings, tmp_path) -> None:
    table = pd.DataFrame(
        {
            "trial": ["A", "A"],
            "included": [True, True],
            "role": ["treatment", "control"],
            "events": [10, 5],
            "total": [50, 50],
            "measure": ["m", "m"],
            "unit": ["participants", "participants"],
            "timepoint": ["12 months", "12 months"],
        }
    )
    files = RateFiles(str(tmp_path / "rates.csv"), str(tmp_path / "rates.json"))
    name = next(iter(project_settings.analyses))
    runner = fit_rates(
        project_settings.model,
        project_settings.priors,
        {("all", name): table},
        {("all", name): files},
        100.0,
    )
    assert runner is None  # nothing to fit, nothing compiled
    assert "not of events" in pd.read_csv(files.rates).at[0, "note"]
