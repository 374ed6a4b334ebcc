"""PyMC model builders for the random-effects meta-analyses.

Every builder returns a model whose *structure* is fixed by a single integer (the padded number of
trials) and whose data, prior parameters and inclusion mask are all ``pm.Data`` containers. The
model is therefore compiled once per process (``nutpie.compile_pymc_model``, its numba code cached
on disk across processes by :mod:`hatmeta.bayes.compiled`) and every analysis,
heterogeneity prior and leave-one-out refit is a data swap (``CompiledModel.with_data``).

Padding and masking
-------------------
An analysis with fewer trials than the compiled size fills the remaining slots with empty data and
``mask = 0``. Masked slots are built so that their likelihood term is a constant that does not
depend on any parameter (binomial: ``y = n = 0``). Their trial effects are drawn from the
random-effects distribution and leave the posterior of ``d`` and ``tau`` exactly as if the trial
had been dropped.

Partial centring of the trial effects
-------------------------------------
Trials differ in how much their data say about their own effect, and no single form samples
well for all of them: the non-centred form ``delta_i = d + tau z_i`` suits a trial whose data are
weak beside the heterogeneity, but a large trial then pins ``tau z_i`` and makes a funnel between
``tau`` and ``z_i``; the centred form ``delta_i ~ Normal(d, tau)`` suits the large trial and fails
for the small ones. Each trial is therefore centred in part (Papaspiliopoulos, Roberts & Sköld
2007, Stat Sci 22:59-73), with the weight that is optimal for the normal model::

    w_i       = tau^2 / (tau^2 + v_i)
    theta_i   ~ Normal(w_i d, tau^w_i)
    delta_i   = d + tau^(1 - w_i) (theta_i - w_i d)

where ``v_i`` is the trial's sampling variance of its log odds ratio (data: Woolf's variance,
0.5 added to the cells of a trial with a zero cell; a large number for masked slots, which are
then fully non-centred). For fixed ``d`` and ``tau`` the map from ``theta_i`` to ``delta_i`` is
affine and ``theta_i``'s density is chosen so that ``delta_i ~ Normal(d, tau)`` exactly, for any
weight, so ``w_i`` may depend on ``tau`` itself: a trial is centred where the current
heterogeneity is large beside its sampling variance, and non-centred where it is small. On this
project's analyses and on the 13 BCG trials this removed the divergences that needed
``target_accept = 0.999`` before and raised the effective draws per draw several-fold (the
engine's note gives the numbers).

One structure for every heterogeneity prior
-------------------------------------------
Both families of heterogeneity prior live in the same graph::

    u ~ HalfNormal(1),  v ~ Normal(0, 1)
    tau = w * hn_scale * u + (1 - w) * exp((ln_mean + ln_sd * v) / 2)

with ``w = tau_is_half_normal`` (1.0 or 0.0). With ``w = 1`` this is ``tau ~ HalfNormal(hn_scale)``;
with ``w = 0`` it is the log-normal prior on ``tau^2`` of Turner et al. (2015),
``log(tau^2) ~ Normal(ln_mean, ln_sd)``. The latent that is multiplied by zero does not touch the
likelihood and samples its own standard prior, which is harmless and cheap. The alternative, one
model per prior family, would double the compile cost, which dominates run time on this problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hatmeta.bayes import TRIAL_DIM
from hatmeta.priors import HETEROGENEITY_DATA_NAMES

#: Rows of the ``counts`` container (int, one column per slot).
ARM_DATA_NAMES = ("y_control", "n_control", "y_treatment", "n_treatment")
#: Rows of the ``trial_data`` container: the inclusion mask and the log-OR sampling variance.
SLOT_DATA_NAMES = ("mask", "sampling_variance")
#: Entries of the ``priors`` container.
SCALAR_DATA_NAMES = ("effect_sd", "baseline_sd", *HETEROGENEITY_DATA_NAMES)
#: The model's data containers, each holding the named values above in order. Few containers on
#: purpose: nutpie compiles a wrapper that unpacks every container, and its compile time grows
#: with their number (12 containers took 11 s to compile here, these 3 took 7 s).
CONTAINERS = {"counts": ARM_DATA_NAMES, "trial_data": SLOT_DATA_NAMES, "priors": SCALAR_DATA_NAMES}

# Placeholder prior values so that a freshly built model is valid (e.g. for prior predictive
# sampling); every fit overwrites all of them.
_PLACEHOLDER_SCALARS = {
    "effect_sd": 2.5,
    "baseline_sd": 5.0,
    "tau_is_half_normal": 1.0,
    "tau_hn_scale": 0.5,
    "tau_ln_mean": -2.56,
    "tau_ln_sd": 1.74,
}


def placeholder_labels(n_slots: int) -> list[str]:
    """Return neutral coordinate labels for the padded trial slots.

    Parameters
    ----------
    n_slots : int
        Number of slots in the compiled model.

    Returns
    -------
    list of str
        ``["slot0", "slot1", ...]``. Fitting code relabels them with the real trial names.
    """
    return [f"slot{i}" for i in range(n_slots)]


def check_size(n: int, what: str) -> None:
    if int(n) != n or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")


def scalar_data(names: Sequence[str]) -> dict[str, pt.TensorVariable]:
    """Register prior parameters as one ``priors`` container in the current model; return each
    parameter by name."""
    values = pm.Data("priors", np.array([_PLACEHOLDER_SCALARS[n] for n in names], dtype="float64"))
    return {name: values[i] for i, name in enumerate(names)}


def pack(values: Mapping[str, np.ndarray], names: Sequence[str] = SCALAR_DATA_NAMES) -> dict:
    """Named data values packed into the model's containers (see :data:`CONTAINERS`)."""
    containers = {
        "counts": ARM_DATA_NAMES,
        "trial_data": SLOT_DATA_NAMES,
        "priors": names,
    }
    return {
        container: np.stack([np.asarray(values[n]) for n in rows])
        for container, rows in containers.items()
        if all(n in values for n in rows)
    }


def heterogeneity(priors: dict[str, pt.TensorVariable]) -> pt.TensorVariable:
    """Add ``tau`` with the data-selected prior family (see module docstring); every model of
    the package (pairwise, rates, network) takes its heterogeneity prior from here."""
    w = priors["tau_is_half_normal"]
    u = pm.HalfNormal("tau_hn_latent", sigma=1.0)
    v = pm.Normal("tau_ln_latent", mu=0.0, sigma=1.0)
    log_tau2 = priors["tau_ln_mean"] + priors["tau_ln_sd"] * v
    return pm.Deterministic(
        "tau", w * priors["tau_hn_scale"] * u + (1.0 - w) * pt.exp(log_tau2 / 2.0)
    )


def effects(
    priors: dict[str, pt.TensorVariable], sampling_variance: pt.TensorVariable
) -> tuple[pt.TensorVariable, pt.TensorVariable, pt.TensorVariable]:
    """Add the pooled effect ``d``, ``tau`` and the partially centred trial effects ``delta``."""
    d = pm.Normal("d", mu=0.0, sigma=priors["effect_sd"])
    tau = heterogeneity(priors)
    w = tau**2 / (tau**2 + sampling_variance)
    theta = pm.Normal("theta", mu=w * d, sigma=tau**w, dims=TRIAL_DIM)
    delta = pm.Deterministic("delta", d + tau ** (1.0 - w) * (theta - w * d), dims=TRIAL_DIM)
    z_new = pm.Normal("z_new", mu=0.0, sigma=1.0)
    pm.Deterministic("delta_new", d + tau * z_new)
    return d, tau, delta


def build_model(n_trials: int, coords: Sequence[str] | None = None) -> pm.Model:
    """Build the arm-based binomial-logit random-effects model with ``n_trials`` slots.

    Model, for trial slot ``i``::

        m_i     ~ Normal(0, baseline_sd)                 mean log-odds of the two arms
        d       ~ Normal(0, effect_sd)                   pooled log odds ratio
        tau     ~ data-selected prior (module docstring)
        delta_i ~ Normal(d, tau)                         trial log odds ratios, partially
                                                         centred (module docstring)
        mu_i    = m_i - delta_i / 2                      control-arm log-odds
        y_control_i   ~ Binomial(n_control_i,   invlogit(mu_i))
        y_treatment_i ~ Binomial(n_treatment_i, invlogit(mu_i + delta_i))
        z_new ~ Normal(0, 1);  delta_new = d + tau * z_new   effect in a new trial

    The likelihood is the exact binomial with no continuity correction, so zero-event arms need
    no special handling.

    Risk ratios and risk differences are not model quantities: they are the pooled odds ratio at
    a stated baseline risk (:mod:`hatmeta.evidence_rules`). ``mask`` does not enter the graph
    (masked slots contribute nothing through ``y = n = 0``); it travels with the data so that
    summaries know which slots are trials.

    Parameters
    ----------
    n_trials : int
        Number of trial slots: the largest number of trials of any analysis in the run. Smaller
        analyses are padded and masked.
    coords : sequence of str, optional
        Labels for the trial dimension; defaults to :func:`placeholder_labels`.

    Returns
    -------
    pymc.Model
        Model with three ``pm.Data`` containers (see :data:`CONTAINERS` and :func:`pack`):
        ``counts`` (int, rows ``y_control``, ``n_control``, ``y_treatment``, ``n_treatment``),
        ``trial_data`` (float, rows ``mask`` (0/1) and ``sampling_variance``) and ``priors``
        (``effect_sd``, ``baseline_sd``, ``tau_is_half_normal``, ``tau_hn_scale``,
        ``tau_ln_mean``, ``tau_ln_sd``).

    Notes
    -----
    The heterogeneity prior is chosen by data, so one compiled structure serves every prior:
    ``tau = w * tau_hn_scale * u + (1 - w) * exp((tau_ln_mean + tau_ln_sd * v) / 2)`` with
    ``u ~ HalfNormal(1)``, ``v ~ Normal(0, 1)`` and ``w = tau_is_half_normal``. ``w = 1`` gives
    ``tau ~ HalfNormal(tau_hn_scale)``; ``w = 0`` gives Turner et al.'s (2015) log-normal prior
    on ``tau^2``, ``log(tau^2) ~ Normal(tau_ln_mean, tau_ln_sd)``. The latent of the unused
    branch does not enter the likelihood and just samples its own prior.

    Masked slots must have ``y = n = 0`` in both arms; their binomial log-likelihood is then
    exactly zero. At least one trial must be included when sampling.
    """
    check_size(n_trials, "n_trials")
    labels = list(coords) if coords is not None else placeholder_labels(n_trials)
    if len(labels) != n_trials:
        raise ValueError(f"got {len(labels)} trial labels for {n_trials} slots")
    with pm.Model(coords={TRIAL_DIM: labels}) as model:
        counts = pm.Data("counts", np.zeros((len(ARM_DATA_NAMES), n_trials), dtype="int64"))
        arms = {name: counts[i] for i, name in enumerate(ARM_DATA_NAMES)}
        trial_data = pm.Data("trial_data", np.ones((len(SLOT_DATA_NAMES), n_trials)))
        variance = trial_data[1]
        priors = scalar_data(SCALAR_DATA_NAMES)
        _, _, delta = effects(priors, variance)
        # Symmetric arm parameterisation: the latent is the mean log-odds of the two arms, so a
        # large trial pins (m_i, delta_i) along near-orthogonal directions instead of the
        # long ridge mu_i + delta_i = const that the control-arm parameterisation creates.
        m = pm.Normal("m", mu=0.0, sigma=priors["baseline_sd"], dims=TRIAL_DIM)
        mu = pm.Deterministic("mu", m - delta / 2.0, dims=TRIAL_DIM)
        pm.Binomial(
            "obs_control",
            n=arms["n_control"],
            logit_p=mu,
            observed=arms["y_control"],
            dims=TRIAL_DIM,
        )
        pm.Binomial(
            "obs_treatment",
            n=arms["n_treatment"],
            logit_p=m + delta / 2.0,
            observed=arms["y_treatment"],
            dims=TRIAL_DIM,
        )
    return model
