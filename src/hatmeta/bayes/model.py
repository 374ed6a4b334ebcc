"""PyMC model builders for the random-effects meta-analyses.

Every builder returns a model whose *structure* is fixed by a single integer (the padded number of
trials) and whose data, prior parameters and inclusion mask are all ``pm.Data`` containers. The
model is therefore compiled once per process (``nutpie.compile_pymc_model``) and every analysis,
heterogeneity prior and leave-one-out refit is a data swap (``CompiledModel.with_data``).

Padding and masking
-------------------
An analysis with fewer trials than the compiled size fills the remaining slots with empty data and
``mask = 0``. Masked slots are built so that their likelihood term is a constant that does not
depend on any parameter (binomial: ``y = n = 0``; normal: ``y = 0`` and a mean multiplied by the
mask). With the non-centred parameterisation their latent variables are a priori independent of
``d`` and ``tau``, so they simply sample their own prior and leave the posterior of ``d`` and
``tau`` exactly as if the trial had been dropped.

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

from collections.abc import Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hatmeta.priors import HETEROGENEITY_DATA_NAMES

TRIAL_DIM = "trial"
ARM_DATA_NAMES = ("y_control", "n_control", "y_treatment", "n_treatment")
SCALAR_DATA_NAMES = ("effect_sd", "baseline_sd", *HETEROGENEITY_DATA_NAMES)

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
    """Register prior parameters as scalar ``pm.Data`` containers in the current model."""
    return {
        name: pm.Data(name, np.asarray(_PLACEHOLDER_SCALARS[name], dtype="float64"))
        for name in names
    }


def _heterogeneity(priors: dict[str, pt.TensorVariable]) -> pt.TensorVariable:
    """Add ``tau`` with the data-selected prior family (see module docstring)."""
    w = priors["tau_is_half_normal"]
    u = pm.HalfNormal("tau_hn_latent", sigma=1.0)
    v = pm.Normal("tau_ln_latent", mu=0.0, sigma=1.0)
    log_tau2 = priors["tau_ln_mean"] + priors["tau_ln_sd"] * v
    return pm.Deterministic(
        "tau", w * priors["tau_hn_scale"] * u + (1.0 - w) * pt.exp(log_tau2 / 2.0)
    )


def effects(
    priors: dict[str, pt.TensorVariable],
) -> tuple[pt.TensorVariable, pt.TensorVariable, pt.TensorVariable]:
    """Add the pooled effect ``d``, ``tau`` and non-centred trial effects ``delta``."""
    d = pm.Normal("d", mu=0.0, sigma=priors["effect_sd"])
    tau = _heterogeneity(priors)
    z = pm.Normal("z", mu=0.0, sigma=1.0, dims=TRIAL_DIM)
    delta = pm.Deterministic("delta", d + tau * z, dims=TRIAL_DIM)
    z_new = pm.Normal("z_new", mu=0.0, sigma=1.0)
    pm.Deterministic("delta_new", d + tau * z_new)
    return d, tau, delta


def build_model(n_trials: int, coords: Sequence[str] | None = None) -> pm.Model:
    """Build the arm-based binomial-logit random-effects model with ``n_trials`` slots.

    Model, for trial slot ``i``::

        m_i     ~ Normal(0, baseline_sd)                 mean log-odds of the two arms
        d       ~ Normal(0, effect_sd)                   pooled log odds ratio
        tau     ~ data-selected prior (module docstring)
        z_i     ~ Normal(0, 1);  delta_i = d + tau * z_i  trial log odds ratios (non-centred)
        mu_i    = m_i - delta_i / 2                      control-arm log-odds
        y_control_i   ~ Binomial(n_control_i,   invlogit(mu_i))
        y_treatment_i ~ Binomial(n_treatment_i, invlogit(mu_i + delta_i))
        z_new ~ Normal(0, 1);  delta_new = d + tau * z_new   effect in a new trial

    The likelihood is the exact binomial with no continuity correction, so zero-event arms need
    no special handling.

    Deterministics ``p_control`` and ``p_treatment`` are the control and treated risks
    standardised to the included trials: for each draw, the mean over slots with ``mask = 1`` of
    ``invlogit(mu_i)`` and ``invlogit(mu_i + d)``. They carry ``mask`` into the graph, which also
    makes it a swappable input of the compiled model.

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
        Model with ``pm.Data`` containers ``y_control``, ``n_control``, ``y_treatment``,
        ``n_treatment`` (int, length ``n_trials``), ``mask`` (float 0/1), and the scalars
        ``effect_sd``, ``baseline_sd``, ``tau_is_half_normal``, ``tau_hn_scale``,
        ``tau_ln_mean``, ``tau_ln_sd``.

    Notes
    -----
    The heterogeneity prior is chosen by data, so one compiled structure serves every prior:
    ``tau = w * tau_hn_scale * u + (1 - w) * exp((tau_ln_mean + tau_ln_sd * v) / 2)`` with
    ``u ~ HalfNormal(1)``, ``v ~ Normal(0, 1)`` and ``w = tau_is_half_normal``. ``w = 1`` gives
    ``tau ~ HalfNormal(tau_hn_scale)``; ``w = 0`` gives Turner et al.'s (2015) log-normal prior
    on ``tau^2``, ``log(tau^2) ~ Normal(tau_ln_mean, tau_ln_sd)``. The latent of the unused
    branch does not enter the likelihood and just samples its own prior.

    Masked slots must have ``y = n = 0`` in both arms; their binomial log-likelihood is then
    exactly zero. A fully masked model (``mask`` all zero) leaves ``p_control`` undefined, so at
    least one trial must be included when sampling.
    """
    check_size(n_trials, "n_trials")
    labels = list(coords) if coords is not None else placeholder_labels(n_trials)
    if len(labels) != n_trials:
        raise ValueError(f"got {len(labels)} trial labels for {n_trials} slots")
    zeros_int = np.zeros(n_trials, dtype="int64")
    with pm.Model(coords={TRIAL_DIM: labels}) as model:
        arms = {name: pm.Data(name, zeros_int, dims=TRIAL_DIM) for name in ARM_DATA_NAMES}
        mask = pm.Data("mask", np.ones(n_trials), dims=TRIAL_DIM)
        priors = scalar_data(SCALAR_DATA_NAMES)
        d, _, delta = effects(priors)
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
        n_included = pt.sum(mask)
        pm.Deterministic("p_control", pt.sum(mask * pm.math.invlogit(mu)) / n_included)
        pm.Deterministic("p_treatment", pt.sum(mask * pm.math.invlogit(mu + d)) / n_included)
    return model
