"""RIOTT's test-level model: its pieces against simulation and against the PyMC form."""

from __future__ import annotations

import numpy as np
import pytest
from riott_data import DESIGN

from hatmeta.riott import testlevel


def test_design_from_the_facts_file():
    facts = {
        "schedule": {"tests_per_patient": 13},
        "responder_rule": {"min_negative_fraction": 0.5},
    }
    assert testlevel.TestingDesign.from_facts(facts) == testlevel.TestingDesign(13, 7)


def test_provide_intercept_hits_the_missing_share():
    alpha = testlevel.provide_intercept(0.3, 1.2)
    x = np.random.default_rng(0).normal(size=400_000)
    assert np.mean(1 / (1 + np.exp(-(alpha + 1.2 * x)))) == pytest.approx(0.7, abs=0.003)


def test_responder_probability_matches_simulation():
    beta, sigma, alpha = 1.0, 0.8, testlevel.provide_intercept(0.2, 1.0)
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=(2, 200_000))
    p = 1 / (1 + np.exp(-(alpha + 1.0 * z1)))
    q = 1 / (1 + np.exp(-(beta + sigma * (0.5 * z1 + np.sqrt(0.75) * z2))))
    provided = rng.binomial(13, p)
    negative = rng.binomial(provided, q)
    for imor, fill in ((0.0, 0.0), (1.0, None), (np.inf, 1.0)):
        q_missing = q if fill is None else fill
        imputed = rng.binomial(13 - provided, q_missing)
        simulated = np.mean(negative + imputed >= 7)
        exact = testlevel.responder_probability(
            np.array(beta), np.array(sigma), np.array(alpha), 1.0, 0.5, np.array(imor), DESIGN
        )
        assert exact == pytest.approx(simulated, abs=0.005)


def test_pymc_form_of_the_model_agrees_with_the_exact_grid():
    """The PyMC/nutpie form (tests/oracles) and the grid posterior are one model."""
    import arviz_stats as azs
    import nutpie
    from oracles.riott_pymc import build_riott_model

    settings = [
        testlevel.ArmSetting(43, 31, 0.15, 1.0, 0.5),
        testlevel.ArmSetting(42, 11, 0.58, 1.0, 0.5),
    ]
    model = build_riott_model(2, DESIGN)
    compiled = nutpie.compile_pymc_model(model).with_data(
        n_patients=np.array([43, 42]),
        responders=np.array([31, 11]),
        alpha=np.array([s.alpha for s in settings]),
        sigma_provide=np.asarray(1.0),
        rho=np.asarray(0.5),
    )
    tree = nutpie.sample(
        compiled, draws=1500, tune=1000, chains=4, seed=5, progress_bar=False, target_accept=0.95
    )
    pi = tree["posterior"]["pi_primary"]
    mcse = np.asarray(azs.mcse(pi.to_dataset(), method="mean")["pi_primary"])
    for arm, setting in enumerate(settings):
        grid = testlevel.fit_arm(setting, DESIGN)
        exact = float(np.sum(grid.weight * grid.responder_probability(0.0)))
        sampled = float(pi.isel(arm=arm).mean())
        assert abs(sampled - exact) <= 4 * mcse[arm] + 0.002, (arm, sampled, exact)
