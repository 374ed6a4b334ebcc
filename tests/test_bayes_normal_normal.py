"""The exact (quadrature) normal-normal posterior, and the sampled model checked against it."""

from __future__ import annotations

import arviz_stats as azs
import numpy as np
import pytest
from oracles.normal_model import NORMAL_SCALAR_DATA_NAMES, build_normal_normal_model
from scipy import integrate, stats
from statsmodels.stats.meta_analysis import effectsize_2proportions

from hatmeta.bayes.normal_normal import exact_posterior, tau_prior_distribution
from hatmeta.priors import half_normal, log_normal_tau2

# Retention, treatment then control: DE2007, CA2009, EN2010, ES2006.
EVENTS_T = np.array([346, 101, 38, 23])
TOTAL_T = np.array([515, 115, 43, 31])
EVENTS_C = np.array([200, 60, 29, 21])
TOTAL_C = np.array([500, 111, 42, 31])
EFFECT_SD = 2.0
PRIORS = [half_normal(0.5, "hn05"), log_normal_tau2(-2.56, 1.74, "turner")]
PROBS = (0.025, 0.5, 0.975)


@pytest.fixture(scope="module")
def log_rr() -> tuple[np.ndarray, np.ndarray]:
    eff, var = effectsize_2proportions(EVENTS_T, TOTAL_T, EVENTS_C, TOTAL_C, statistic="risk-ratio")
    return np.asarray(eff), np.sqrt(np.asarray(var))


def brute_force(y, se, prior, effect_sd):
    """Posterior means by dense 2-d Simpson integration of the un-marginalised density.

    Independent of :mod:`hatmeta.bayes.normal_normal`: no marginal likelihood algebra, just
    prod_i N(y_i | d, se_i^2 + tau^2) * p(d) * p(tau) on a (d, log tau) grid.
    """
    dist = tau_prior_distribution(prior)
    log_tau = np.linspace(np.log(dist.ppf(1e-12) + 1e-12), np.log(dist.isf(1e-12)), 3001)
    tau = np.exp(log_tau)
    d = np.linspace(-2.0, 3.0, 2001)
    sd = np.sqrt(se[None, None, :] ** 2 + tau[None, :, None] ** 2)
    log_like = stats.norm.logpdf(y[None, None, :], d[:, None, None], sd).sum(axis=2)
    log_joint = log_like + stats.norm.logpdf(d, 0, effect_sd)[:, None] + dist.logpdf(tau)[None, :]
    joint = np.exp(log_joint - log_joint.max()) * tau[None, :]  # d tau = tau d(log tau)

    def integral(values):
        return integrate.simpson(integrate.simpson(values, x=log_tau, axis=1), x=d)

    norm = integral(joint)
    return integral(d[:, None] * joint) / norm, integral(tau[None, :] * joint) / norm


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: p.name)
def test_exact_means_match_direct_integration(log_rr, prior) -> None:
    y, se = log_rr
    post = exact_posterior(y, se, prior, effect_sd=EFFECT_SD)
    d_mean, tau_mean = brute_force(y, se, prior, EFFECT_SD)
    assert post.d_mean == pytest.approx(d_mean, abs=1e-5)
    assert post.tau_mean == pytest.approx(tau_mean, abs=1e-5)


def test_tight_tau_prior_gives_conjugate_fixed_effect(log_rr) -> None:
    y, se = log_rr
    post = exact_posterior(y, se, half_normal(1e-8, "zero"), effect_sd=EFFECT_SD)
    precision = 1 / EFFECT_SD**2 + np.sum(1 / se**2)
    mean = np.sum(y / se**2) / precision
    assert post.d_mean == pytest.approx(mean, abs=1e-9)
    assert post.d_quantile(0.975) == pytest.approx(
        mean + stats.norm.ppf(0.975) / np.sqrt(precision), abs=1e-8
    )


def test_quantiles_invert_cdfs(log_rr) -> None:
    y, se = log_rr
    post = exact_posterior(y, se, PRIORS[1], effect_sd=EFFECT_SD)
    for p in PROBS:
        assert post.d_cdf(post.d_quantile(p)) == pytest.approx(p, abs=1e-9)
    summary = post.summary().set_index("quantity")
    assert summary.loc["tau", "lower"] < summary.loc["tau", "median"] < summary.loc["tau", "upper"]
    assert post.weights.sum() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def compiled_normal():
    import nutpie

    # One padded slot, masked, checks that masking is exact in this model as well.
    return nutpie.compile_pymc_model(build_normal_normal_model(5))


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: p.name)
def test_sampled_normal_model_matches_exact(compiled_normal, log_rr, prior) -> None:
    import nutpie

    y, se = log_rr
    exact = exact_posterior(y, se, prior, effect_sd=EFFECT_SD).summary().set_index("quantity")
    values = {"effect_sd": np.asarray(EFFECT_SD), **prior.data_arrays()}
    model = compiled_normal.with_data(
        y=np.r_[0.0, y],
        se=np.r_[1.0, se],
        mask=np.r_[0.0, np.ones(4)],
        priors=np.array([values[name] for name in NORMAL_SCALAR_DATA_NAMES]),
    )
    tree = nutpie.sample(
        model,
        draws=4000,
        tune=1000,
        chains=4,
        seed=7,
        target_accept=0.99,
        save_warmup=False,
        progress_bar=False,
    )
    assert int(tree["sample_stats"]["diverging"].sum()) == 0
    for var in ("d", "tau"):
        draws = tree["posterior"][var].to_dataset()[var]
        values = draws.values.ravel()
        checks = [("mean", values.mean(), float(azs.mcse(draws, method="mean")))]
        for p, column in zip(PROBS, ("lower", "median", "upper"), strict=True):
            mcse = float(azs.mcse(draws, method="quantile", prob=p))
            checks.append((column, np.quantile(values, p), mcse))
        for column, estimate, mcse in checks:
            reference = exact.loc[var, column]
            assert abs(estimate - reference) <= 4 * mcse, (var, column, estimate, reference, mcse)
