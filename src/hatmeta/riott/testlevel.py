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
by two-dimensional Gauss-Hermite quadrature with more nodes along the attendance axis for a
larger ``sigma_provide`` (:func:`nodes_for`).

The data enter as ``R_a ~ Binomial(N_a, pi_a(IMOR = 0))``: the published counts under the
primary rule. ``beta_a`` and ``sigma_negative`` are estimated (weakly informative priors:
``beta ~ Normal(0, 2.5)``, ``sigma_negative ~ HalfNormal(1)``) exactly, on a grid; with one count
per arm the data inform mostly the responder probability, and the split between a patient's
attendance and heroin use comes from the assumptions above, which is why they are explicit and
varied (every one of them over a range in the config).

Imputed responder counts
------------------------
A scenario's responder probability ``pi*_a`` is computed from the same posterior draws with the
scenario's IMOR, and its responder count conditions on the published one: primary responders
stay responders (imputing negatives only adds negatives), and each primary non-responder becomes
one with probability ``(pi*_a - pi_a) / (1 - pi_a)``. With ``IMOR = 0`` this reproduces the
published counts exactly. The draws of these counts are the scenario's multiple imputations:
RIOTT's evidence under the scenario is the mixture, over imputations, of what each imputed pair
of counts says through the exact binomial likelihood (:mod:`hatmeta.riott.imputed`).

Compatibility
-------------
Assumptions can put the published counts out of the model's reach: with many missing tests and
little spread of attendance, even a patient whose every provided test is negative may rarely
reach 7 negative tests, so the model's highest primary-rule responder probability (its
*ceiling*) falls below the published rate. The posterior then piles up at the ceiling (every
provided test negative), and what the scenario says follows from that boundary and the priors,
not from the data. A scenario is compatible only if each arm's ceiling reaches its published
rate and the published count is plausible under the fitted model (posterior predictive p-value,
two-sided, at least ``compatibility_alpha``); otherwise its results are marked and left out of
every tipping statement.

Why not the patient-level IMOR model (metamiss)? It needs the number of patients with a missing
outcome per arm; in RIOTT every patient has an outcome under the primary rule, and what is missing
is tests within patients. Its patient-level form is still the field's standard, so
:mod:`hatmeta.riott.patient_level` implements it as a cross-check, with the patients who left
treatment before week 26 (published retention counts) as the patients with a missing outcome: it
cannot see the missed tests of patients who stayed, which is exactly where RIOTT's arms differ,
and that is why the test-level model is the better fit for RIOTT.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import special

from hatmeta.riott.densities import (
    binomial_cdf,
    binomial_logpmf,
    binomial_sf,
    half_normal_logpdf,
    normal_logpdf,
)
from hatmeta.riott.facts import TestingDesign

#: Gauss-Hermite nodes per unit of between-patient spread along the attendance axis ``z1``:
#: the responder rule makes the integrand a smoothed step in ``z1`` about 0.3 / sigma_provide
#: wide, so a fixed rule that suits sigma_provide 1 misses by up to 0.02 at 2 (measured against
#: a 96-node rule; the tests compare with simulation).
NODES_PER_SIGMA = 12
#: Nodes along ``z2`` (and the least along ``z1``): within 0.001 of a 96-node rule up to
#: sigma_negative 1.5 (12 nodes: 0.005), about 0.006 at 2.5, where the posterior mass is small;
#: posterior averages move by less than 0.001 (the tests compare with simulation and with a
#: 48 x 40-node rule).
NODES_NEGATIVE = 20


def nodes_for(sigma_provide: float) -> tuple[int, int]:
    """Gauss-Hermite nodes along ``z1`` and ``z2`` for a spread of attendance ``sigma_provide``."""
    return max(NODES_NEGATIVE, math.ceil(NODES_PER_SIGMA * sigma_provide)), NODES_NEGATIVE


@cache
def quadrature(n1: int = 12, n2: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``(z1, z2)`` and weights of a product Gauss-Hermite rule for two N(0, 1)."""
    x1, w1 = special.roots_hermitenorm(n1)
    x2, w2 = special.roots_hermitenorm(n2)
    z1, z2 = np.meshgrid(x1, x2, indexing="ij")
    weights = np.outer(w1 / w1.sum(), w2 / w2.sum())
    return z1.ravel(), z2.ravel(), weights.ravel()


@cache
def provide_intercept(missing_share: float, sigma_provide: float) -> float:
    """``alpha`` such that patients provide ``1 - missing_share`` of their tests on average."""
    if not 0 < missing_share < 1:
        raise ValueError(f"missing share must be strictly between 0 and 1, got {missing_share}")
    # Imported on use: the report imports this module for its docstring, and scipy.optimize is
    # a third of a second of its start-up.
    from scipy import optimize

    x, w = special.roots_hermitenorm(nodes_for(sigma_provide)[0])
    w = w / w.sum()

    def gap(alpha):
        return np.sum(w * special.expit(alpha + sigma_provide * x)) - (1 - missing_share)

    return float(optimize.brentq(gap, -30, 30, xtol=1e-12))


@cache
def _tail_polynomial(tests: int, min_negative: int) -> np.ndarray:
    """``P(Binomial(tests, s) >= min_negative) = s^min_negative x poly(s)``: the coefficients of
    ``poly``, lowest power first (exact integers)."""
    coefficients = np.zeros(tests - min_negative + 1)
    for r in range(min_negative, tests + 1):
        for j in range(tests - r + 1):
            coefficients[r - min_negative + j] += (
                math.comb(tests, r) * math.comb(tests - r, j) * (-1) ** j
            )
    return coefficients


def _tail(s: np.ndarray, design: TestingDesign) -> np.ndarray:
    """P(Binomial(tests, s) >= min_negative) by Horner's rule (about five times faster than
    the incomplete beta function, and equal to it within 1e-11)."""
    coefficients = _tail_polynomial(design.tests, design.min_negative)
    out = np.full_like(s, coefficients[-1])
    for c in coefficients[-2::-1]:
        out *= s
        out += c
    out *= s**design.min_negative
    return np.clip(out, 0.0, 1.0, out=out)


#: Grid points per block in :func:`responder_probability` and :func:`fit_arms`: a block's
#: temporaries (points x nodes, about 400 kB) stay in a core's cache, which makes the dozen passes
#: over them several times faster than in blocks of 2048 (the same numbers: every step is
#: elementwise, or one point's dot product with the weights).
BLOCK = 128


def _negative_blocks(beta, sigma_negative, z_negative):
    """Per block of grid points: the block and ``q``, the probability that a provided test is
    negative, at every node (points x nodes)."""
    for start in range(0, beta.size, BLOCK):
        block = slice(start, start + BLOCK)
        yield block, special.expit(beta[block, None] + sigma_negative[block, None] * z_negative)


def _z_negative(z1, z2, rho):
    return rho * z1 + np.sqrt(1 - rho**2) * z2


def responder_probability(
    beta, sigma_negative, alpha, sigma_provide, rho, imor, design, nodes=None
) -> np.ndarray:
    """Responder probability when missing tests are negative with odds ``imor`` x provided.

    ``beta``, ``sigma_negative`` and ``alpha`` broadcast together (grid points); ``imor`` (may
    be ``inf``) adds its shape in front. ``nodes``: Gauss-Hermite nodes along ``z1`` and ``z2``
    (default :func:`nodes_for`).
    """
    z1, z2, weights = quadrature(*(nodes or nodes_for(sigma_provide)))
    imor = np.asarray(imor, dtype=float)
    arrays = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (beta, sigma_negative, alpha))
    )
    shape = arrays[0].shape
    b, sg, a = (x.ravel() for x in arrays)
    # One arm has one alpha: its attendance probabilities are then one row for every grid
    # point, computed once instead of per point (the same numbers; a third of the time).
    alpha = np.asarray(alpha, dtype=float)
    p_row = special.expit(alpha.ravel()[0] + sigma_provide * z1) if alpha.size == 1 else None
    out = np.empty((imor.size, b.size))
    for block, q in _negative_blocks(b, sg, _z_negative(z1, z2, rho)):
        p = p_row if p_row is not None else special.expit(a[block, None] + sigma_provide * z1)
        provided_negative = p * q
        for i, value in enumerate(imor.ravel()):
            if value == 0:
                s = provided_negative
            elif np.isinf(value):
                s = provided_negative + (1 - p)
            else:
                s = provided_negative + (1 - p) * (value * q / (1 - q + value * q))
            out[i, block] = _tail(np.clip(s, 0.0, 1.0), design) @ weights
    return out.reshape(imor.shape + shape)


def _primary_on_grid(beta, sigma_negative, settings, design) -> np.ndarray:
    """:func:`responder_probability` under the primary rule (``imor = 0``) of several arms that
    share ``sigma_provide`` and ``rho``, at the same points (arms x points): ``q`` does not
    depend on the arm's missing share, so each block's ``q``, the costliest step, serves every
    arm. The same numbers as one arm at a time (a test checks them bit for bit)."""
    sigma_provide, rho = settings[0].sigma_provide, settings[0].rho
    z1, z2, weights = quadrature(*nodes_for(sigma_provide))
    p_rows = [special.expit(np.float64(s.alpha) + sigma_provide * z1) for s in settings]
    out = np.empty((len(settings), beta.size))
    for block, q in _negative_blocks(beta, sigma_negative, _z_negative(z1, z2, rho)):
        for row, p in enumerate(p_rows):
            # p and q lie in [0, 1], so does their product: no clipping needed.
            out[row, block] = _tail(p * q, design) @ weights
    return out


def primary_ceiling(alpha: float, sigma_provide: float, design: TestingDesign) -> float:
    """The highest primary-rule responder probability the model can produce: every provided test
    negative, so a patient responds when enough tests are provided."""
    x, w = special.roots_hermitenorm(nodes_for(sigma_provide)[0])
    p = special.expit(alpha + sigma_provide * x)
    return float(np.sum(w / w.sum() * _tail(p, design)))


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
    ``beta ~ Normal(0, 2.5)`` and ``sigma_negative ~ HalfNormal(1)``, as in the PyMC form of
    the same model in the tests (``tests/oracles/riott_pymc.py``), which checks this one.
    """

    setting: ArmSetting
    design: TestingDesign
    beta: np.ndarray  # grid points, flattened
    sigma: np.ndarray
    weight: np.ndarray  # posterior mass of each grid point, sums to 1
    primary: np.ndarray  # primary-rule responder probability at each grid point
    edge_mass: float  # posterior mass on the grid's outer rows and columns

    def responder_probability(self, imor, index: np.ndarray) -> np.ndarray:
        """Responder probability at the grid points ``index`` under ``imor`` (one or several)."""
        s = self.setting
        return responder_probability(
            self.beta[index],
            self.sigma[index],
            np.asarray(s.alpha),
            s.sigma_provide,
            s.rho,
            imor,
            self.design,
        )

    def sample(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Indices of grid points drawn with their posterior mass."""
        return rng.choice(self.weight.size, size=n_draws, p=self.weight)

    def compatibility(self, alpha_level: float) -> dict[str, float | bool]:
        """Can the model reproduce the published count under this arm's assumptions?

        ``ceiling``: the highest primary-rule responder probability; ``predictive_p``: the
        posterior predictive probability of a count at least as extreme as the published one
        (two-sided). Compatible when the ceiling reaches the published rate and the predictive
        p-value is at least ``alpha_level``.
        """
        s = self.setting
        ceiling = primary_ceiling(s.alpha, s.sigma_provide, self.design)
        upper = np.sum(self.weight * binomial_sf(s.responders - 1, s.n_patients, self.primary))
        lower = np.sum(self.weight * binomial_cdf(s.responders, s.n_patients, self.primary))
        predictive = float(min(1.0, 2 * min(upper, lower)))
        return {
            "ceiling": ceiling,
            "predictive_p": predictive,
            "compatible": ceiling >= s.responders / s.n_patients and predictive >= alpha_level,
        }


#: The (beta, sigma_negative) grid of :func:`fit_arms`.
GRID_BETA = (-12.0, 12.0, 181)
GRID_SIGMA = (0.0, 5.0, 91)


def fit_arms(settings: Sequence[ArmSetting], design: TestingDesign) -> list[ArmPosterior]:
    """Posteriors of several arms given their published responder counts (see the module
    docstring), in the order of ``settings``. Arms that share ``sigma_provide`` and ``rho`` are
    computed together (:func:`_primary_on_grid`); each posterior is the same as alone."""
    beta, sigma = np.linspace(*GRID_BETA), np.linspace(*GRID_SIGMA)
    b, sg = (g.ravel() for g in np.meshgrid(beta, sigma, indexing="ij"))
    groups: dict[tuple[float, float], list[ArmSetting]] = {}
    for setting in dict.fromkeys(settings):
        groups.setdefault((setting.sigma_provide, setting.rho), []).append(setting)
    # The prior and the grid's edge are the same for every arm (summed in the order they were
    # when each arm computed its own: the same numbers).
    log_prior = normal_logpdf(b, PRIOR_BETA_SD) + half_normal_logpdf(sg, PRIOR_SIGMA_NEGATIVE_SCALE)
    on_edge = (np.isin(b, beta[[0, -1]])) | (sg == sigma[-1])
    fitted = {}
    for group in groups.values():
        for setting, pi in zip(group, _primary_on_grid(b, sg, group, design), strict=True):
            log_post = log_prior + binomial_logpmf(
                setting.responders, setting.n_patients, np.clip(pi, 1e-300, 1)
            )
            weight = np.exp(log_post - log_post.max())
            weight /= weight.sum()
            edge = float(weight[on_edge].sum())
            fitted[setting] = ArmPosterior(setting, design, b, sg, weight, pi, edge)
    return [fitted[setting] for setting in settings]


def fit_arm(setting: ArmSetting, design: TestingDesign) -> ArmPosterior:
    """Posterior of one arm given its published responder count (see module docstring)."""
    [posterior] = fit_arms([setting], design)
    return posterior


def imputed_responders(
    arm: ArmPosterior, imors, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Imputed responder counts of one arm under each IMOR in ``imors``: ``len(imors) x
    n_draws``, the same posterior draws and random numbers for every IMOR (so that results
    along IMOR differ by the IMOR, not by Monte Carlo noise).

    A primary-rule responder stays one, and each primary non-responder becomes one with
    probability ``(pi* - pi) / (1 - pi)`` (see the module docstring).
    """
    imors = np.atleast_1d(np.asarray(imors, dtype=float))
    # Evaluate each distinct grid point once: draws repeat the high-mass points.
    points, index = np.unique(arm.sample(n_draws, rng), return_inverse=True)
    primary = arm.primary[points][index]
    scenario = arm.responder_probability(imors, points)[:, index]
    switch = np.clip((scenario - primary) / np.clip(1 - primary, 1e-12, None), 0, 1)
    s = arm.setting
    uniform = rng.random((s.n_patients - s.responders, n_draws))
    return s.responders + (uniform[None, :, :] < switch[:, None, :]).sum(axis=1)
