"""RIOTT's test-level model in PyMC: the sampled twin of :func:`hatmeta.riott.testlevel.fit_arm`.

The library computes each arm's posterior exactly on a grid; a test samples this PyMC form of
the same model and compares the two.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from hatmeta.riott.facts import TestingDesign
from hatmeta.riott.testlevel import (
    PRIOR_BETA_SD,
    PRIOR_SIGMA_NEGATIVE_SCALE,
    nodes_for,
    quadrature,
)

ARMS_DIM = "arm"
#: The library's quadrature nodes at sigma_provide 1, the value the cross-check uses.
NODES = nodes_for(1.0)


def responder_probability_tensor(
    beta, sigma_negative, alpha, sigma_provide, rho, design, nodes=NODES
):
    """Primary-rule responder probability per arm (PyTensor, for the model graph).

    ``beta``, ``sigma_negative`` and ``alpha`` have one entry per arm; the rest are scalars.
    """
    import pytensor.tensor as pt  # deferred: scenario jobs need only NumPy

    z1, z2, weights = quadrature(*nodes)
    # The binomial tail as a sum of terms (the library uses Horner's rule: independent forms).
    k = np.arange(design.min_negative, design.tests + 1)
    comb = special.comb(design.tests, k)
    z_neg = rho * z1 + pt.sqrt(1 - rho**2) * z2
    p = pt.sigmoid(alpha[:, None] + sigma_provide * z1[None, :])
    q = pt.sigmoid(beta[:, None] + sigma_negative[:, None] * z_neg[None, :])
    s = pt.clip(p * q, 1e-12, 1 - 1e-12)[..., None]
    tail = pt.sum(comb * s**k * (1 - s) ** (design.tests - k), axis=-1)
    return pt.sum(weights * tail, axis=-1)


def build_riott_model(n_arms: int, design: TestingDesign, nodes=NODES):
    """The same test-level model in PyMC (prior/posterior predictive checks; cross-check).

    Data: ``n_patients``, ``responders`` (published primary-rule counts), ``alpha`` (from the
    missing shares), ``sigma_provide``, ``rho``; ``nodes`` must be the library's for the
    ``sigma_provide`` given (:func:`hatmeta.riott.testlevel.nodes_for`). Arms are independent,
    each with its own ``sigma_negative``, exactly as :func:`fit_arm` computes them one at a time.
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
                beta, sigma_negative, alpha, sigma_provide, rho, design, nodes
            ),
            dims=ARMS_DIM,
        )
        pm.Binomial("responders_obs", n=n_patients, p=pi, observed=responders, dims=ARMS_DIM)
    return model
