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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from hatmeta.grid import tipping_cells

ARMS_DIM = "arm"


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


def responder_probability_tensor(
    beta, sigma_negative, alpha, sigma_provide, rho, design, n_nodes: int = 12
):
    """Primary-rule responder probability per arm (PyTensor, for the model graph).

    ``beta``, ``sigma_negative`` and ``alpha`` have one entry per arm; the rest are scalars.
    """
    import pytensor.tensor as pt  # deferred: scenario jobs need only NumPy

    z1, z2, weights = quadrature(n_nodes)
    k, comb = _binomial_tail_weights(design)
    z_neg = rho * z1 + pt.sqrt(1 - rho**2) * z2
    p = pt.sigmoid(alpha[:, None] + sigma_provide * z1[None, :])
    q = pt.sigmoid(beta[:, None] + sigma_negative[:, None] * z_neg[None, :])
    s = pt.clip(p * q, 1e-12, 1 - 1e-12)[..., None]
    tail = pt.sum(comb * s**k * (1 - s) ** (design.tests - k), axis=-1)
    return pt.sum(weights * tail, axis=-1)


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
    :func:`build_riott_model`, the PyMC form of the same model (used to check this one).
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


def build_riott_model(n_arms: int, design: TestingDesign, n_nodes: int = 12):
    """The same test-level model in PyMC (prior/posterior predictive checks; cross-check).

    Data: ``n_patients``, ``responders`` (published primary-rule counts), ``alpha`` (from the
    missing shares), ``sigma_provide``, ``rho``. Arms are independent, each with its own
    ``sigma_negative``, exactly as :func:`fit_arm` computes them one at a time.
    """
    import pymc as pm  # deferred: scenario jobs need only NumPy

    with pm.Model(coords={ARMS_DIM: np.arange(n_arms)}) as model:
        n_patients = pm.Data("n_patients", np.ones(n_arms, dtype="int64"), dims=ARMS_DIM)
        responders = pm.Data("responders", np.zeros(n_arms, dtype="int64"), dims=ARMS_DIM)
        alpha = pm.Data("alpha", np.zeros(n_arms), dims=ARMS_DIM)
        sigma_provide = pm.Data("sigma_provide", 1.0)
        rho = pm.Data("rho", 0.0)
        beta = pm.Normal("beta", 0.0, PRIOR_BETA_SD, dims=ARMS_DIM)
        sigma_negative = pm.HalfNormal("sigma_negative", PRIOR_SIGMA_NEGATIVE_SCALE, dims=ARMS_DIM)
        pi = pm.Deterministic(
            "pi_primary",
            responder_probability_tensor(
                beta, sigma_negative, alpha, sigma_provide, rho, design, n_nodes
            ),
            dims=ARMS_DIM,
        )
        pm.Binomial("responders_obs", n=n_patients, p=pi, observed=responders, dims=ARMS_DIM)
    return model


# --- Scenarios: config entries -> arm settings -> summaries ---------------------------------

ROLES = ("treatment", "control")


def control_missing_share(heroin_share: float, reading: str, excess: float) -> float:
    """The oral-methadone missing share implied by the commentary's "extra 43%".

    ``reading='percentage_points'``: heroin share + 0.43; ``'relative'``: heroin share x 1.43.
    """
    if reading == "percentage_points":
        share = heroin_share + excess / 100
    elif reading == "relative":
        share = heroin_share * (1 + excess / 100)
    else:
        raise ValueError(f"unknown reading of the missing-test anchor: '{reading}'")
    if not 0 < share < 1:
        raise ValueError(
            f"heroin missing share {heroin_share} with the {reading} reading of "
            f"'{excess:g}% more' gives an oral-methadone share of {share:.3f}, outside (0, 1)"
        )
    return share


def scenario_settings(riott: dict, scenario: dict, published: dict, excess: float) -> dict:
    """Arm settings and IMORs for one named scenario (missing keys fall back to ``riott``)."""
    heroin_share = scenario.get("missing_share_heroin", riott["missing_share_heroin"])
    reading = scenario.get("anchor_reading", riott["anchor_reading"])
    methadone_share = scenario.get("missing_share_methadone")
    if methadone_share is None:
        methadone_share = control_missing_share(heroin_share, reading, excess)
    sigma = scenario.get("sigma_provide", riott["sigma_provide"])
    rho = scenario.get("rho", riott["rho"])
    shares = {"treatment": heroin_share, "control": methadone_share}
    return {
        "arms": {
            role: ArmSetting(
                published[role]["total"], published[role]["events"], shares[role], sigma, rho
            )
            for role in ROLES
        },
        "imor": {
            "treatment": float(scenario["imor_heroin"]),
            "control": float(scenario["imor_methadone"]),
        },
        "reading": reading if scenario.get("missing_share_methadone") is None else "explicit",
    }


def summarise_draws(draws: dict[str, np.ndarray]) -> dict:
    """Median and 95% interval of each arm's responders and the OR, and P(OR > 1)."""

    def interval(values):
        lower, median, upper = np.percentile(values, [2.5, 50, 97.5])
        return {"median": median, "lower": lower, "upper": upper}

    log_or = draws["log_or"]
    summary = {f"responders_{role}": interval(draws[f"responders_{role}"]) for role in ROLES}
    summary |= {f"pi_{role}": interval(draws[f"pi_{role}"]) for role in ROLES}
    summary["odds_ratio"] = {k: float(np.exp(v)) for k, v in interval(log_or).items()}
    summary["p_or_above_1"] = float(np.mean(log_or > 0))
    # A normal summary of the log OR for pooling. When an arm's responder probability nears 1
    # the log OR has long tails, so the centre and spread are the median and the
    # interquartile range / 1.349 (the sd of a normal with that IQR), not mean and sd.
    q25, q50, q75 = np.percentile(log_or, [25, 50, 75])
    summary["log_or_centre"] = float(q50)
    summary["log_or_spread"] = float((q75 - q25) / 1.349)
    return summary


def published_counts(harmonised, trial: str, measure: str, arms: Mapping[str, str]) -> dict:
    """The primary-rule responder counts per role, from the harmonised extraction table."""
    rows = harmonised[(harmonised["trial"] == trial) & (harmonised["measure"] == measure)]
    counts = {}
    for role, arm in arms.items():
        row = rows[(rows["arm"] == arm) & rows["events"].notna() & rows["total"].notna()]
        if row.empty:
            raise ValueError(f"no published {measure} counts for {trial} arm {arm}")
        counts[role] = {"events": int(row["events"].iloc[0]), "total": int(row["total"].iloc[0])}
    return counts


@cache
def _fit_arm_cached(setting: ArmSetting, design: TestingDesign) -> ArmPosterior:
    return fit_arm(setting, design)


def run_scenario(
    riott: dict, scenario: dict, published: dict, design: TestingDesign, excess: float
) -> dict:
    """Posterior summary of one scenario, with its settings and the grid-accuracy check."""
    settings = scenario_settings(riott, scenario, published, excess)
    posteriors = {role: _fit_arm_cached(settings["arms"][role], design) for role in ROLES}
    draws = scenario_draws(
        posteriors["treatment"],
        posteriors["control"],
        settings["imor"]["treatment"],
        settings["imor"]["control"],
        riott["draws"],
        riott["seed"],
    )
    return {
        "summary": summarise_draws(draws),
        "settings": settings,
        "edge_mass": max(p.edge_mass for p in posteriors.values()),
    }


EDGE_MASS_MAX = 1e-4


def check_grid(result: dict, name: str) -> None:
    """Stop if the posterior grid is too narrow (mass on its edges): the quadrature gate."""
    if result["edge_mass"] > EDGE_MASS_MAX:
        raise ValueError(
            f"RIOTT scenario '{name}': {result['edge_mass']:.2g} of the posterior mass lies on "
            f"the edge of the (beta, sigma) grid (limit {EDGE_MASS_MAX:g}); widen the grid in "
            "hatmeta.missing.fit_arm"
        )


def scenario_frame(name: str, result: dict) -> pd.DataFrame:
    """One tidy row per reported quantity, with the scenario's assumptions alongside."""
    settings, summary = result["settings"], result["summary"]
    rows = []
    for quantity, value in summary.items():
        if isinstance(value, dict):
            rows.append({"quantity": quantity, **value})
        else:
            rows.append({"quantity": quantity, "median": value})
    frame = pd.DataFrame(rows)
    arms = settings["arms"]
    frame.insert(0, "scenario", name)
    frame["imor_heroin"] = settings["imor"]["treatment"]
    frame["imor_methadone"] = settings["imor"]["control"]
    frame["missing_share_heroin"] = arms["treatment"].missing_share
    frame["missing_share_methadone"] = arms["control"].missing_share
    frame["anchor_reading"] = settings["reading"]
    frame["sigma_provide"] = arms["treatment"].sigma_provide
    frame["rho"] = arms["treatment"].rho
    frame["grid_edge_mass"] = result["edge_mass"]
    return frame


def tipping_grid(
    riott: dict,
    heroin_scenario: str,
    published: dict,
    design: TestingDesign,
    excess: float,
    cells: Sequence[tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """RIOTT's odds ratio over (oral-methadone missing share, oral-methadone IMOR).

    The heroin arm stays at the named scenario's IMOR and missing share. ``cells`` restricts the
    grid to one batch (default: every cell of ``riott["tipping"]``).
    """
    if cells is None:
        cells = tipping_cells(riott["tipping"])
    base = riott["scenarios"][heroin_scenario]
    rows = []
    for share, imor in cells:
        scenario = {**base, "missing_share_methadone": share, "imor_methadone": imor}
        summary = run_scenario(riott, scenario, published, design, excess)["summary"]
        rows.append(
            {
                "heroin_scenario": heroin_scenario,
                "missing_share_methadone": round(share, 6),
                "imor_methadone": imor,
                "or_median": summary["odds_ratio"]["median"],
                "or_lower": summary["odds_ratio"]["lower"],
                "or_upper": summary["odds_ratio"]["upper"],
                "p_or_above_1": summary["p_or_above_1"],
                "log_or_centre": summary["log_or_centre"],
                "log_or_spread": summary["log_or_spread"],
            }
        )
    return pd.DataFrame(rows)


def load_inputs(riott: Mapping, harmonised_path, facts_path) -> tuple[dict, TestingDesign]:
    """Published primary-rule counts (from the extract stage) and the testing design."""
    import yaml

    with open(facts_path) as handle:
        facts = yaml.safe_load(handle)
    harmonised = pd.read_csv(harmonised_path)
    published = published_counts(harmonised, riott["trial"], riott["measure"], riott["arms"])
    return published, TestingDesign.from_facts(facts)


def patient_level_imor(responders: int, retained: int, total: int, imor: float) -> dict:
    """One arm under the patient-level IMOR model (White, Higgins & Wood 2008; metamiss).

    Retained patients have an observed outcome (``responders`` of ``retained``); the
    ``total - retained`` who left are missing, and their odds of response are ``imor`` times the
    observed odds. Returns the arm's response probability and its variance by the delta method
    with the IMOR fixed (Higgins, White & Wood 2008, Clin Trials 5:225-239).
    """
    observed = responders / retained
    missing_fraction = (total - retained) / total
    if np.isinf(imor):
        p_missing, slope = 1.0, 0.0
    else:
        p_missing = imor * observed / (1 - observed + imor * observed)
        slope = imor / (1 - observed + imor * observed) ** 2
    p = (1 - missing_fraction) * observed + missing_fraction * p_missing
    derivative = (1 - missing_fraction) + missing_fraction * slope
    variance = derivative**2 * observed * (1 - observed) / retained
    return {"p": p, "variance": variance}


def patient_level_table(published: Mapping, retained: Mapping, imors) -> pd.DataFrame:
    """Patient-level IMOR cross-check: RIOTT's OR when leavers respond with odds IMOR x stayers.

    The same IMOR applies to both arms; ``published`` and ``retained`` map roles to
    ``{"events", "total"}`` (responders; retained at 26 weeks).
    """
    rows = []
    for imor in imors:
        arms = {
            role: patient_level_imor(
                published[role]["events"], retained[role]["events"], published[role]["total"], imor
            )
            for role in ROLES
        }
        log_or = special.logit(arms["treatment"]["p"]) - special.logit(arms["control"]["p"])
        se = np.sqrt(sum(a["variance"] / (a["p"] * (1 - a["p"])) ** 2 for a in arms.values()))
        rows.append(
            {
                "imor": imor,
                "p_heroin": arms["treatment"]["p"],
                "p_methadone": arms["control"]["p"],
                "or": float(np.exp(log_or)),
                "or_lower": float(np.exp(log_or - 1.96 * se)),
                "or_upper": float(np.exp(log_or + 1.96 * se)),
            }
        )
    return pd.DataFrame(rows)
