"""RIOTT missing-test sensitivity: a test-level model of RIOTT's primary outcome.

RIOTT's primary outcome counts *responders*: patients with at least half of the 13 weekly urine
tests of weeks 14-26 negative for street heroin. The primary analysis counted every unexplained
missing test as positive. Published: the responder counts under that rule (SIH 31/43, oral
methadone 11/42) and a remark that the oral-methadone patients missed "an extra 43%" of tests.
Not published: each arm's share of missing tests, and how missing tests relate to heroin use.

The model
---------
Patient ``j`` of arm ``a`` has two propensities, varying between patients (logit-normal)::

    logit(p_j) = alpha_a + sigma_provide * z1_j                      # provides a given test
    logit(q_j) = beta_a + sigma_negative * (rho * z1_j + sqrt(1 - rho^2) * z2_j)
                                                                     # a provided test is negative
    z1_j, z2_j ~ Normal(0, 1) independent

Assumptions, each a config setting:

1. Tests are independent given the patient's propensities (no week-to-week correlation beyond
   what the patient-level propensities induce).
2. ``alpha_a`` is fixed by the arm's assumed share of missing tests ``m_a``: the mean of ``p_j``
   over patients equals ``1 - m_a``. The shares are scenario parameters (not published); the
   commentary's "extra 43%" anchors the oral-methadone share on the heroin share, read either as
   43 percentage points more or as 43% more (relative).
3. ``sigma_provide`` (between-patient spread of attendance) and ``rho`` (correlation between
   attending and testing negative) are assumptions. ``rho > 0`` means patients who miss tests
   tend to be those who use street heroin, the usual reason missing tests are counted positive.
4. A missing test would have been negative with odds ``IMOR_a`` times the odds of that patient's
   provided tests (the informative missingness odds ratio of White, Higgins & Wood 2008, applied
   to tests within patients instead of to patients): ``IMOR = 0`` is the primary analysis (all
   positive), ``IMOR = 1`` missing at random within patient, ``IMOR = inf`` all negative.

Under these assumptions a patient's negative tests are ``Binomial(13, s)`` with
``s = p q + (1 - p) q*`` and ``q* = IMOR q / (1 - q + IMOR q)`` (thinning: each scheduled test
is independently provided-and-negative or missing-and-would-be-negative). The responder
probability of arm ``a`` is the patient average ``pi_a = E[P(Binomial(13, s) >= 7)]``, computed
by two-dimensional Gauss-Hermite quadrature.

The data enter as ``R_a ~ Binomial(N_a, pi_a(IMOR = 0))``: the published counts under the
primary rule. ``beta_a`` and ``sigma_negative`` are estimated (weakly informative priors); with
one count per arm the data inform mostly the responder probability, and the split between a
patient's attendance and heroin use comes from the assumptions above, which is why they are
explicit and varied. A scenario's responder probability ``pi*_a`` is then computed from the same
posterior draws with the scenario's IMOR, and its responder count conditions on the published
one: primary responders stay responders (imputing negatives only adds negatives), and each
primary non-responder becomes one with probability ``(pi*_a - pi_a) / (1 - pi_a)``. With
``IMOR = 0`` this reproduces the published counts exactly.

Why not the patient-level IMOR model (metamiss)? It needs the number of patients with a missing
outcome per arm; in RIOTT every patient has an outcome under the primary rule, and what is missing
is tests within patients. Its patient-level form is still the field's standard, so
:func:`patient_level_imor` implements it as a cross-check, with the patients who left treatment
before week 26 (published retention counts) as the patients with a missing outcome: it cannot see
the missed tests of patients who stayed, which is exactly where RIOTT's arms differ, and that is
why the test-level model is the better fit for RIOTT.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import optimize, special, stats


@dataclass(frozen=True)
class TestingDesign:
    """The responder rule: at least ``min_negative`` of ``tests`` scheduled tests negative."""

    tests: int = 13
    min_negative: int = 7

    @classmethod
    def from_facts(cls, facts: dict) -> TestingDesign:
        """From ``data/raw/riott_urine_testing.yaml``."""
        tests = int(facts["schedule"]["tests_per_patient"])
        fraction = float(facts["responder_rule"]["min_negative_fraction"])
        return cls(tests=tests, min_negative=int(np.ceil(fraction * tests)))


@cache
def quadrature(n_nodes: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``(z1, z2)`` and weights of a product Gauss-Hermite rule for two N(0, 1)."""
    x, w = special.roots_hermitenorm(n_nodes)
    w = w / w.sum()
    z1, z2 = np.meshgrid(x, x, indexing="ij")
    weights = np.outer(w, w)
    return z1.ravel(), z2.ravel(), weights.ravel()


def provide_intercept(missing_share: float, sigma_provide: float, n_nodes: int = 12) -> float:
    """``alpha`` such that patients provide ``1 - missing_share`` of their tests on average."""
    if not 0 < missing_share < 1:
        raise ValueError(f"missing share must be strictly between 0 and 1, got {missing_share}")
    x, w = special.roots_hermitenorm(n_nodes)
    w = w / w.sum()

    def gap(alpha):
        return np.sum(w * special.expit(alpha + sigma_provide * x)) - (1 - missing_share)

    return float(optimize.brentq(gap, -30, 30, xtol=1e-12))


def _binomial_tail_weights(design: TestingDesign) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(design.min_negative, design.tests + 1)
    return k, special.comb(design.tests, k)


def responder_probability(
    beta, sigma_negative, alpha, sigma_provide, rho, imor, design, n_nodes: int = 12
) -> np.ndarray:
    """Responder probability when missing tests are negative with odds ``imor`` x provided.

    Broadcasts: ``beta`` may be draws x arms, ``sigma_negative`` draws x 1, ``alpha`` and
    ``imor`` per arm (``imor`` may be ``inf``).
    """
    z1, z2, weights = quadrature(n_nodes)
    beta, alpha, imor = np.asarray(beta), np.asarray(alpha), np.asarray(imor, dtype=float)
    z_neg = rho * z1 + np.sqrt(1 - rho**2) * z2
    p = special.expit(alpha[..., None] + sigma_provide * z1)
    q = special.expit(beta[..., None] + np.asarray(sigma_negative)[..., None] * z_neg)
    imor_ = imor[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        odds_scaled = imor_ * q / (1 - q + imor_ * q)
        q_missing = np.where(imor_ == 0, 0.0, np.where(np.isinf(imor_), 1.0, odds_scaled))
    s = np.clip(p * q + (1 - p) * q_missing, 0.0, 1.0)
    # P(Binomial(n, s) >= k) = I_s(k, n - k + 1), the regularised incomplete beta function
    tail = special.betainc(design.min_negative, design.tests - design.min_negative + 1, s)
    return np.sum(weights * tail, axis=-1)


PRIOR_BETA_SD = 2.5
PRIOR_SIGMA_NEGATIVE_SCALE = 1.0


@dataclass(frozen=True)
class ArmSetting:
    """One arm under one set of assumptions: its data and what is assumed about missing tests."""

    n_patients: int
    responders: int  # published count under the primary rule (missing = positive)
    missing_share: float
    sigma_provide: float
    rho: float

    @property
    def alpha(self) -> float:
        return provide_intercept(self.missing_share, self.sigma_provide)


@dataclass
class ArmPosterior:
    """Exact posterior of one arm's ``(beta, sigma_negative)`` on a grid.

    The arm's posterior is two-dimensional, so it is computed by quadrature instead of
    sampling: no Monte Carlo error, no compile step, deterministic. Priors:
    ``beta ~ Normal(0, 2.5)`` and ``sigma_negative ~ HalfNormal(1)``, as in
    the PyMC form of the same model in the tests (``tests/oracles/riott_pymc.py``), which checks
    this one.
    """

    setting: ArmSetting
    design: TestingDesign
    beta: np.ndarray  # grid points, flattened
    sigma: np.ndarray
    weight: np.ndarray  # posterior mass of each grid point, sums to 1
    edge_mass: float  # posterior mass on the grid's outer rows and columns

    def responder_probability(self, imor: float, index: np.ndarray | None = None) -> np.ndarray:
        """Responder probability at the grid points ``index`` (default all) under this IMOR."""
        s = self.setting
        index = slice(None) if index is None else index
        return responder_probability(
            self.beta[index],
            self.sigma[index],
            np.asarray(s.alpha),
            s.sigma_provide,
            s.rho,
            np.asarray(imor),
            self.design,
        )

    def sample(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Indices of grid points drawn with their posterior mass."""
        return rng.choice(self.weight.size, size=n_draws, p=self.weight)


def fit_arm(
    setting: ArmSetting, design: TestingDesign, n_beta: int = 181, n_sigma: int = 91
) -> ArmPosterior:
    """Posterior of one arm given its published responder count (see module docstring)."""
    beta = np.linspace(-12.0, 12.0, n_beta)
    sigma = np.linspace(0.0, 5.0, n_sigma)
    b, sg = (g.ravel() for g in np.meshgrid(beta, sigma, indexing="ij"))
    pi = responder_probability(
        b,
        sg,
        np.asarray(setting.alpha),
        setting.sigma_provide,
        setting.rho,
        np.asarray(0.0),
        design,
    )
    log_post = (
        stats.norm.logpdf(b, 0, PRIOR_BETA_SD)
        + stats.halfnorm.logpdf(sg, scale=PRIOR_SIGMA_NEGATIVE_SCALE)
        + stats.binom.logpmf(setting.responders, setting.n_patients, np.clip(pi, 1e-300, 1))
    )
    weight = np.exp(log_post - log_post.max())
    weight /= weight.sum()
    on_edge = (np.isin(b, beta[[0, -1]])) | (sg == sigma[-1])
    return ArmPosterior(setting, design, b, sg, weight, float(weight[on_edge].sum()))


def _log_odds(p: np.ndarray) -> np.ndarray:
    # A responder probability of exactly 1 (every missing test imputed negative) would give
    # infinite odds; 1e-9 from the bounds keeps the OR finite and far beyond any threshold.
    return special.logit(np.clip(p, 1e-9, 1 - 1e-9))


def scenario_draws(
    treatment: ArmPosterior,
    control: ArmPosterior,
    imor_treatment: float,
    imor_control: float,
    n_draws: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Posterior draws of one scenario: responder probabilities, counts and the odds ratio.

    Responder counts condition on the published ones: a primary-rule responder stays one,
    and each primary non-responder becomes one with probability ``(pi* - pi) / (1 - pi)``.
    """
    rng = np.random.default_rng(seed)
    out = {}
    for role, arm, imor in (
        ("treatment", treatment, imor_treatment),
        ("control", control, imor_control),
    ):
        # Evaluate each distinct grid point once: draws repeat the high-mass points.
        points, index = np.unique(arm.sample(n_draws, rng), return_inverse=True)
        primary = arm.responder_probability(0.0, points)[index]
        scenario = arm.responder_probability(imor, points)[index]
        switch = np.clip((scenario - primary) / np.clip(1 - primary, 1e-12, None), 0, 1)
        s = arm.setting
        out[f"pi_{role}"] = scenario
        out[f"responders_{role}"] = s.responders + rng.binomial(s.n_patients - s.responders, switch)
    out["log_or"] = _log_odds(out["pi_treatment"]) - _log_odds(out["pi_control"])
    return out
