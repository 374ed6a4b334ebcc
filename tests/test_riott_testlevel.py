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
        "missing_excess_anchor": {"value": 43},
    }
    assert testlevel.TestingDesign.from_facts(facts) == testlevel.TestingDesign(13, 7, 43.0)


def simulate_ceiling(missing_share, sigma_provide, n=400_000, seed=2):
    """The highest primary-rule responder rate by simulation: every provided test negative."""
    alpha = testlevel.provide_intercept(missing_share, sigma_provide)
    z = np.random.default_rng(seed).normal(size=n)
    provided = np.random.default_rng(seed + 1).binomial(
        13, 1 / (1 + np.exp(-(alpha + sigma_provide * z)))
    )
    return np.mean(provided >= 7)


@pytest.mark.parametrize(("share", "sigma"), [(0.58, 1.0), (0.70, 1.0), (0.68, 0.5), (0.3, 2.0)])
def test_ceiling_matches_simulation(share, sigma):
    alpha = testlevel.provide_intercept(share, sigma)
    assert testlevel.primary_ceiling(alpha, sigma, DESIGN) == pytest.approx(
        simulate_ceiling(share, sigma), abs=0.003
    )


def test_compatibility_marks_a_ceiling_below_the_published_rate():
    """Methadone 11/42 = 0.262: at 58% missing the ceiling (0.367) reaches it; at 70% (0.186)
    it does not, although 11/42 is not implausible under a rate of 0.186 (P about 0.1)."""
    reachable = testlevel.fit_arm(testlevel.ArmSetting(42, 11, 0.58, 1.0, 0.5), DESIGN)
    check = reachable.compatibility(0.05)
    assert check["ceiling"] == pytest.approx(0.367, abs=0.002) and check["compatible"]
    beyond = testlevel.fit_arm(testlevel.ArmSetting(42, 11, 0.70, 1.0, 0.5), DESIGN)
    check = beyond.compatibility(0.05)
    assert check["ceiling"] == pytest.approx(0.186, abs=0.002) and not check["compatible"]
    assert check["predictive_p"] > 0.05


def test_imputed_responders_condition_on_the_published_count():
    arm = testlevel.fit_arm(testlevel.ArmSetting(42, 11, 0.58, 1.0, 0.5), DESIGN)
    imors = [0.0, 0.5, 1.0, np.inf]
    counts = testlevel.imputed_responders(arm, imors, 20000, np.random.default_rng(3))
    assert (counts[0] == 11).all()  # IMOR 0 is the primary rule: the published count
    assert (counts >= 11).all() and (counts <= 42).all()
    # common random numbers: along IMOR each draw's count never falls
    assert (np.diff(counts, axis=0) >= 0).all()
    # The mean count is the published one plus the expected switchers, draw by draw.
    rng = np.random.default_rng(3)
    points = arm.sample(20000, rng)
    pi, pi_star = arm.primary[points], arm.responder_probability(1.0, points)
    expected = 11 + 31 * np.mean((pi_star - pi) / (1 - pi))
    assert counts[2].mean() == pytest.approx(expected, abs=4 * counts[2].std() / np.sqrt(20000))


def test_provide_intercept_hits_the_missing_share():
    alpha = testlevel.provide_intercept(0.3, 1.2)
    x = np.random.default_rng(0).normal(size=400_000)
    assert np.mean(1 / (1 + np.exp(-(alpha + 1.2 * x)))) == pytest.approx(0.7, abs=0.003)


@pytest.mark.parametrize(
    ("sigma_provide", "rho", "sigma", "share"),
    [(1.0, 0.5, 0.8, 0.2), (2.0, 0.9, 1.5, 0.58), (0.5, 0.0, 1.5, 0.3)],
)
def test_responder_probability_matches_simulation(sigma_provide, rho, sigma, share):
    """Including the regime where a fixed quadrature rule fails: a wide spread of attendance."""
    beta, alpha = 1.0, testlevel.provide_intercept(share, sigma_provide)
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=(2, 400_000))
    p = 1 / (1 + np.exp(-(alpha + sigma_provide * z1)))
    q = 1 / (1 + np.exp(-(beta + sigma * (rho * z1 + np.sqrt(1 - rho**2) * z2))))
    assert np.mean(p) == pytest.approx(1 - share, abs=0.003)
    provided = rng.binomial(13, p)
    negative = rng.binomial(provided, q)
    for imor, fill in ((0.0, 0.0), (1.0, None), (np.inf, 1.0)):
        q_missing = q if fill is None else fill
        imputed = rng.binomial(13 - provided, q_missing)
        simulated = np.mean(negative + imputed >= 7)
        exact = testlevel.responder_probability(
            np.array(beta),
            np.array(sigma),
            np.array(alpha),
            sigma_provide,
            rho,
            np.array(imor),
            DESIGN,
        )
        assert exact == pytest.approx(simulated, abs=0.004), imor


@pytest.mark.parametrize(
    "setting",
    [
        testlevel.ArmSetting(42, 11, 0.58, 2.0, 0.9),
        testlevel.ArmSetting(43, 31, 0.25, 2.0, 0.9),
        testlevel.ArmSetting(42, 11, 0.58, 0.5, 0.0),
        testlevel.ArmSetting(43, 31, 0.05, 1.0, 0.5),
    ],
)
def test_posterior_responder_probabilities_match_a_fine_rule(setting):
    """What enters the results is the posterior average over (beta, sigma_negative): against a
    48 x 40-node rule it moves by less than 0.001 under every IMOR, although pointwise, where
    sigma_negative is large and the posterior mass small, the default rule errs more."""
    arm = testlevel.fit_arm(setting, DESIGN)
    alpha = np.asarray(setting.alpha)
    for imor in (0.0, 0.5, 1.0, np.inf):
        values = [
            testlevel.responder_probability(
                arm.beta,
                arm.sigma,
                alpha,
                setting.sigma_provide,
                setting.rho,
                imor,
                DESIGN,
                nodes=nodes,
            )
            for nodes in (None, (48, 40))
        ]
        default, fine = (float(np.sum(arm.weight * v)) for v in values)
        assert default == pytest.approx(fine, abs=1e-3), imor


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
        exact = float(np.sum(grid.weight * grid.primary))
        sampled = float(pi.isel(arm=arm).mean())
        assert abs(sampled - exact) <= 4 * mcse[arm] + 0.002, (arm, sampled, exact)


@pytest.mark.parametrize("sigma_provide, rho", [(0.5, 0.0), (1.0, 0.5), (2.0, 0.8)])
def test_one_alpha_gives_the_same_numbers_as_alpha_per_point(sigma_provide, rho):
    """An arm's single alpha takes the shortcut (attendance computed once); alpha given per
    grid point takes the general path: the results must be equal bit for bit, so that the
    shortcut changes no cell of the sensitivity analysis."""
    rng = np.random.default_rng(7)
    beta = rng.uniform(-12, 12, 5000)
    sigma = rng.uniform(0, 5, 5000)
    alpha = testlevel.provide_intercept(0.4, sigma_provide)
    imors = [0.0, 0.5, 1.0, 3.0, np.inf]
    args = (sigma_provide, rho, imors, DESIGN)
    one = testlevel.responder_probability(beta, sigma, alpha, *args)
    per_point = testlevel.responder_probability(beta, sigma, np.full(5000, alpha), *args)
    assert np.array_equal(one, per_point)


def test_arms_fitted_together_equal_the_general_path_bit_for_bit():
    """Arms sharing sigma_provide and rho share the grid's q (the fast path): each arm's
    primary-rule probabilities must equal responder_probability's general path at IMOR 0, and
    each posterior must equal the arm fitted alone, bit for bit (no cell may change)."""
    settings = [
        testlevel.ArmSetting(42, 11, 0.58, 1.0, 0.5),
        testlevel.ArmSetting(43, 31, 0.15, 1.0, 0.5),
        testlevel.ArmSetting(42, 11, 0.3575, 2.0, 0.9),
        testlevel.ArmSetting(43, 31, 0.05, 2.0, 0.9),
    ]
    together = testlevel.fit_arms(settings, DESIGN)
    for setting, arm in zip(settings, together, strict=True):
        general = testlevel.responder_probability(
            arm.beta, arm.sigma, setting.alpha, setting.sigma_provide, setting.rho, 0.0, DESIGN
        )
        assert np.array_equal(arm.primary, general)
        alone = testlevel.fit_arm(setting, DESIGN)
        assert np.array_equal(arm.weight, alone.weight) and arm.edge_mass == alone.edge_mass
