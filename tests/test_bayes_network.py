"""The network model: the multi-arm covariance, the two-treatment reduction to the pairwise model,
R's metafor and glm on a public network, ranks by brute force, model fit, node-splitting.

One network model is compiled for the module (``network_runner``); every fit is a data swap.
"""

from __future__ import annotations

import copy

import arviz_stats as azs
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from bayes_data import GATE, HN05, RETENTION, SAMPLER
from oracles.network import metadat_network, network_oracle

from hatmeta.bayes.network import NetworkRunner, build_network_model, pack
from hatmeta.bayes.network_analysis import analyse_network
from hatmeta.bayes.network_data import Shape, network_from_arms, node_split
from hatmeta.bayes.network_summaries import (
    model_fit,
    rank_summary,
    rankings,
    residual_deviance,
    versus_reference,
)
from hatmeta.priors import half_normal

#: Holds every network of this module and its node-splits (the metafor example: 24 trials).
SHAPE = Shape(slots=24, arms=3, treatments=4)
SMOKING = ("no_contact", ["self_help", "ind_counseling", "grp_counseling"])


@pytest.fixture(scope="module")
def network_runner() -> NetworkRunner:
    # The pairwise runner's priors (tests/conftest.py), for the two-treatment reduction.
    return NetworkRunner(SHAPE, SAMPLER, effect_sd=2.5, baseline_sd=5.0)


@pytest.fixture(scope="module")
def flat_runner(network_runner) -> NetworkRunner:
    """Near-flat priors on the basic parameters and baselines (sd 10 on the log-odds scale);
    the same compiled model."""
    runner = copy.copy(network_runner)
    runner.effect_sd = runner.baseline_sd = 10.0
    return runner


@pytest.fixture(scope="module")
def smoking(flat_runner):
    """metadat's smoking-cessation network (Hasselblad 1998; 24 trials, 4 treatments, two
    three-arm trials), R's answers on it, and its random- and fixed-effects fits."""
    reference, order = SMOKING
    arms, oracle = metadat_network("dat.hasselblad1998", ("study", "trt", "xi", "ni"), *SMOKING)
    network = network_from_arms(arms, reference, order=order)
    random = flat_runner.fit(network, half_normal(5.0), GATE)
    fixed = flat_runner.fit(network.fixed_effect(), half_normal(5.0), GATE)
    assert random.failures == [] and fixed.failures == []
    return network, oracle, random.tree, fixed.tree


def median_with_mcse(draws: xr.DataArray) -> tuple[float, float]:
    return float(draws.median()), float(azs.mcse(draws, method="quantile", prob=0.5))


def quantiles_with_mcse(draws: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 2.5/50/97.5% quantiles of a scalar quantity's draws, with their MCSEs."""
    values = draws.values.ravel()
    estimates = [values.mean(), *np.quantile(values, [0.025, 0.5, 0.975])]
    mcse = [float(azs.mcse(draws, method="mean"))] + [
        float(azs.mcse(draws, method="quantile", prob=p)) for p in (0.025, 0.5, 0.975)
    ]
    return np.array(estimates), np.array(mcse)


def test_the_conditional_formulation_gives_a_correlation_of_one_half() -> None:
    """Given ``d`` and ``tau``, a four-arm trial's three random effects drawn through the
    model's sequential conditionals (partially centred, each with another sampling variance)
    have mean ``d_k - d_b`` and covariance ``tau^2`` on the diagonal and ``tau^2 / 2`` off it;
    with a fixed effect they are ``d_k - d_b`` exactly. The trial is repeated in every slot, so
    one forward draw gives ``n`` independent draws."""
    n, tau = 100_000, 0.7
    d = np.array([0.0, 0.3, -0.5, 1.2])
    model = build_network_model(Shape(n, 4, 4))

    def tiled(row) -> np.ndarray:
        return np.tile(np.asarray(row), (n, 1))

    arrays = {
        "events": tiled([10, 20, 30, 40]),
        "total": tiled([100] * 4),
        "treatment_index": tiled([1, 0, 2, 3]),  # the baseline arm is treatment 1
        "arm_mask": tiled([1.0] * 4),
        "split": tiled([0.0] * 4),
        "sampling_variance": tiled([1e6, 0.05, 0.2, 1.0]),
        "effect_sd": 2.5,
        "baseline_sd": 5.0,
        **half_normal(0.5).data_arrays(),
    }
    expected_mean = d[[0, 2, 3]] - d[1]
    expected_cov = tau**2 * (np.eye(3) + 1) / 2
    for switch in (1.0, 0.0):
        for name, value in pack(arrays | {"random_effects": switch}).items():
            model.set_data(name, value)
        fixed = pm.do(model, {"d_free": d[1:], "tau": np.asarray(tau)})
        delta = pm.draw(fixed["delta"], random_seed=7)
        if switch == 0.0:
            np.testing.assert_allclose(delta, np.tile(expected_mean, (n, 1)), atol=1e-12)
            continue
        # Standard errors of a sample mean and a sample covariance of normal draws.
        mean_se = np.sqrt(np.diag(expected_cov) / n)
        cov_se = np.sqrt((expected_cov**2 + np.outer(*[np.diag(expected_cov)] * 2)) / n)
        assert np.all(np.abs(delta.mean(axis=0) - expected_mean) < 4 * mean_se)
        assert np.all(np.abs(np.cov(delta.T) - expected_cov) < 4 * cov_se), np.cov(delta.T)
        # Correlations of 0 or 0.25 would be far outside that tolerance.
        assert 4 * cov_se.max() < 0.25 * tau**2 / 2


def test_a_two_treatment_network_is_the_pairwise_model(network_runner, retention_fit) -> None:
    rows = [
        (trial, role, events, total)
        for trial, y_t, n_t, y_c, n_c in RETENTION
        for role, events, total in (("control", y_c, n_c), ("treatment", y_t, n_t))
    ]
    arms = pd.DataFrame(rows, columns=["trial", "treatment", "events", "total"])
    network = network_from_arms(arms, "control")
    other_seed = SAMPLER._replace(seed=SAMPLER.seed + 1)
    fit = network_runner.fit(network, HN05, GATE, sampler=other_seed)
    assert fit.failures == []
    post = fit.tree["posterior"]
    pairs = {
        "d": (post["d"].sel(treatment="treatment"), retention_fit["posterior"]["d"]),
        "tau": (post["tau"], retention_fit["posterior"]["tau"]),
    }
    for name, (ours, pairwise) in pairs.items():
        est, est_mcse = quantiles_with_mcse(ours.to_dataset(name="x")["x"])
        ref, ref_mcse = quantiles_with_mcse(pairwise.to_dataset(name="x")["x"])
        tolerance = 4 * np.hypot(est_mcse, ref_mcse)
        assert np.all(np.abs(est - ref) <= tolerance), (name, est, ref, tolerance)
    # The trials' effects too (their shrunken log odds ratios).
    for trial, *_ in RETENTION:
        ours = post["delta"].sel(contrast=f"{trial}: treatment")
        theirs = retention_fit["posterior"]["delta"].sel(trial=trial)
        (a, a_se), (b, b_se) = median_with_mcse(ours), median_with_mcse(theirs)
        assert abs(a - b) <= 4 * np.hypot(a_se, b_se), trial


def test_the_fixed_effect_matches_the_exact_binomial_maximum_likelihood(smoking) -> None:
    """R's ``glm`` maximises the same fixed-effect likelihood (a baseline per trial, a log odds
    ratio per treatment, exact binomial): with near-flat priors the posterior median is that
    maximum up to Monte Carlo error and the posterior's small skewness (bounded by 5% of a
    standard error), and the posterior sd is the asymptotic standard error within 10%."""
    _, oracle, _, fixed = smoking
    post = fixed["posterior"]["d"]
    for treatment in SMOKING[1]:
        median, mcse = median_with_mcse(post.sel(treatment=treatment))
        mle, se = oracle["glm_fixed"]["estimate"][treatment], oracle["glm_fixed"]["se"][treatment]
        print(f"{treatment}: posterior median {median:.4f} (MCSE {mcse:.4f}), glm {mle:.4f}")
        assert abs(median - mle) <= 4 * mcse + 0.05 * se
        assert float(post.sel(treatment=treatment).std()) == pytest.approx(se, rel=0.10)


def test_basic_parameters_agree_with_metafor_rma_mv_as_far_as_the_models_agree(smoking) -> None:
    """metafor's contrast-based ``rma.mv`` (common tau^2, correlation 1/2 within multi-arm
    trials, REML) approximates each trial's log odds ratios as normal, with 0.5 added to the
    cells of trials with a zero cell; the Bayesian model uses the exact binomial likelihood and
    integrates over tau. Two differences, each measured, make the tolerance:

    - the normal approximation: on these data it moves the fixed-effect estimates away from
      the exact maximum likelihood by ``|glm - rma_fixed|`` (0.03, 0.11 and 0.12 here), and the
      random-effects estimates are built from the same approximated trials;
    - REML's point estimate of tau (0.67) against a posterior that integrates over tau (median
      0.81 under a half-normal(5) prior): at most half a standard error.

    A treatment mislabelled, a sign flipped or a multi-arm trial's contrasts taken against the
    wrong arm moves an estimate by more than one standard error.
    """
    _, oracle, random, _ = smoking
    rma = oracle["rma_random"]
    post = random["posterior"]
    for treatment in SMOKING[1]:
        median, mcse = median_with_mcse(post["d"].sel(treatment=treatment))
        approximation = abs(
            oracle["glm_fixed"]["estimate"][treatment] - oracle["rma_fixed"]["estimate"][treatment]
        )
        estimate, se = rma["estimate"][treatment], rma["se"][treatment]
        tolerance = approximation + 0.5 * se + 4 * mcse
        print(
            f"{treatment}: posterior median {median:.3f}, rma.mv {estimate:.3f} (se {se:.3f}); "
            f"difference {median - estimate:+.3f}, tolerance {tolerance:.3f}"
        )
        assert abs(median - estimate) <= tolerance
        # Integrating over tau, the posterior is at least as wide as REML's standard error.
        assert float(post["d"].sel(treatment=treatment).std()) >= 0.95 * se
    lower, upper = np.quantile(post["tau"].values, [0.025, 0.975])
    print(
        f"tau: REML {np.sqrt(rma['tau2']):.3f}, posterior 95% interval {lower:.3f} to {upper:.3f}"
    )
    assert lower < np.sqrt(rma["tau2"]) < upper


def test_dic_counts_the_fixed_effect_parameters_and_prefers_random_effects(smoking) -> None:
    network, _, random, fixed = smoking
    fits = {name: model_fit(tree) for name, tree in (("random", random), ("fixed", fixed))}
    for name, fit in fits.items():
        print(name, {k: round(v, 2) if isinstance(v, float) else v for k, v in fit.row().items()})
    # A fixed-effect model with this much data has pD close to its parameter count: one
    # baseline per trial and the three basic parameters.
    n_parameters = len(network.trials) + len(network.treatments) - 1
    assert fits["fixed"].p_d == pytest.approx(n_parameters, abs=1.5)
    assert fits["fixed"].data_points == fits["random"].data_points == 50
    # Between-trial heterogeneity is large (Q = 202 on 23 df): the fixed effect fits badly.
    assert fits["random"].dic < fits["fixed"].dic - 10
    assert fits["random"].elpd_loo > fits["fixed"].elpd_loo
    assert fits["random"].residual_deviance < 1.5 * fits["random"].data_points


def test_residual_deviance_is_twice_the_log_likelihood_ratio_to_the_saturated_model() -> None:
    from scipy.stats import binom

    events, total = np.array([0, 3, 10, 7]), np.array([10, 12, 10, 40])
    eta = np.array([-2.0, -0.4, 1.5, 0.2])
    p = 1 / (1 + np.exp(-eta))
    saturated = binom.logpmf(events, total, events / total)
    np.testing.assert_allclose(
        residual_deviance(eta, events, total),
        2 * (saturated - binom.logpmf(events, total, p)),
        rtol=1e-12,
    )


def test_ranks_and_sucra_match_a_brute_force_count() -> None:
    d = np.array(
        [[0.0, 0.5, -0.2, 0.1], [0.0, -0.3, 0.4, 0.2], [0.0, 0.1, 0.3, -0.6], [0.0, 0.9, 0.8, 0.7]]
    )
    treatments = ["A", "B", "C", "D"]
    for higher_is_better in (True, False):
        probabilities, sucra = rankings(d, treatments, higher_is_better)
        better = (lambda a, b: a > b) if higher_is_better else (lambda a, b: a < b)
        expected = np.zeros((4, 4))
        for draw in d:
            for i in range(4):
                rank = 1 + sum(better(draw[j], draw[i]) for j in range(4) if j != i)
                expected[i, rank - 1] += 1 / len(d)
        np.testing.assert_allclose(probabilities.to_numpy(), expected)
        mean_rank = expected @ np.arange(1, 5)
        np.testing.assert_allclose(sucra["mean_rank"], mean_rank)
        # SUCRA is the mean of (T - rank) / (T - 1).
        np.testing.assert_allclose(sucra["SUCRA"], (4 - mean_rank) / 3)
    # Higher is better: B is best in draws 1 and 4, C in draws 2 and 3.
    probabilities, _ = rankings(d, treatments, True)
    assert list(probabilities[1]) == [0.0, 0.5, 0.5, 0.0]


def test_summaries_of_the_smoking_network(smoking) -> None:
    _, _, random, _ = smoking
    table = versus_reference(random)
    assert list(table["treatment"]) == SMOKING[1] and set(table["comparator"]) == {SMOKING[0]}
    d = random["posterior"]["d"]
    for row in table.itertuples():
        values = np.exp(d.sel(treatment=row.treatment).values.ravel())
        assert row.OR_median == pytest.approx(np.median(values))
        assert row.OR_lower < row.OR_median < row.OR_upper
    probabilities, sucra = rank_summary(random, higher_is_better=True)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    # More quitters is better: group counselling has the largest basic parameter.
    assert sucra.set_index("treatment")["SUCRA"].idxmax() == "grp_counseling"
    assert sucra.set_index("treatment")["SUCRA"].idxmin() == "no_contact"


def loop_network(bc_log_or: float) -> pd.DataFrame:
    """Three treatments, three large two-arm trials per comparison, baseline risk 0.3:
    B vs A log OR 0, C vs A log OR 1, and C vs B as given (1 is consistent)."""

    def events(log_odds: float, total: int = 400) -> int:
        return round(total / (1 + np.exp(-log_odds)))

    base = np.log(0.3 / 0.7)
    designs = {"AB": ("A", "B", 0.0), "AC": ("A", "C", 1.0), "BC": ("B", "C", bc_log_or)}
    rows = []
    for name, (x, y, effect) in designs.items():
        for i in range(3):
            rows += [
                (f"{name}{i}", x, events(base), 400),
                (f"{name}{i}", y, events(base + effect), 400),
            ]
    return pd.DataFrame(rows, columns=["trial", "treatment", "events", "total"])


def test_node_splitting_finds_an_inconsistent_loop(network_runner) -> None:
    network = network_from_arms(loop_network(-1.0), "A", order=["B", "C"])
    result = analyse_network(network, network_runner, HN05, GATE, higher_is_better=True)
    assert result.failures() == {}
    assert result.loops.assessable and result.loops.comparisons == (
        ("A", "B"),
        ("A", "C"),
        ("B", "C"),
    )
    table = result.node_splits.set_index(["treatment", "comparator"])
    print(table.T)
    bc = table.loc[("C", "B")]
    # Direct evidence on C vs B says OR e^-1, the loop through A says e^1.
    assert bc["direct_OR_lower"] < np.exp(-1) < bc["direct_OR_upper"]
    assert bc["indirect_OR_lower"] < np.exp(1) < bc["indirect_OR_upper"]
    assert (table["p_value"] < 0.01).all()  # every comparison in the loop disagrees
    assert bc["direct_trials"] == "BC0; BC1; BC2" and bc["dropped_arms"] == ""


def test_node_splitting_finds_a_consistent_loop_consistent(network_runner) -> None:
    network = network_from_arms(loop_network(1.0), "A", order=["B", "C"])
    fit = network_runner.fit(node_split(network, "B", "C"), HN05, GATE)
    assert fit.failures == []
    post = fit.tree["posterior"]
    difference = (post["d_direct"] - post["d_indirect"]).values.ravel()
    p_value = 2 * min(np.mean(difference > 0), np.mean(difference < 0))
    assert p_value > 0.5 and abs(np.median(difference)) < 0.1


def test_the_oracle_runs_on_an_arm_table() -> None:
    """The CSV route of the oracle (used for a review's own network) gives the same answers as
    the metadat route on the same arms."""
    arms, expected = metadat_network("dat.hasselblad1998", ("study", "trt", "xi", "ni"), *SMOKING)
    again = network_oracle(arms, *SMOKING)
    for key in ("glm_fixed", "rma_fixed", "rma_random"):
        for treatment in SMOKING[1]:
            assert again[key]["estimate"][treatment] == pytest.approx(
                expected[key]["estimate"][treatment], rel=1e-6
            )
