"""The normal-normal random-effects model in PyMC, the sampled twin of
:mod:`hatmeta.bayes.normal_normal`.

Built from the same pieces as the binomial model (:mod:`hatmeta.bayes.model`), so a test that
samples it and compares with the exact quadrature posterior checks those pieces.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hatmeta.bayes.fitdata import MASKED_VARIANCE
from hatmeta.bayes.model import TRIAL_DIM, check_size, effects, placeholder_labels, scalar_data
from hatmeta.priors import HETEROGENEITY_DATA_NAMES

NORMAL_DATA_NAMES = ("y", "se")
# The normal-normal model has no baselines; an unused container would be pruned from the compiled
# functions and rejected by ``with_data``.
NORMAL_SCALAR_DATA_NAMES = ("effect_sd", *HETEROGENEITY_DATA_NAMES)


def build_normal_normal_model(n_studies: int, coords: Sequence[str] | None = None) -> pm.Model:
    """Build the normal-normal random-effects model with ``n_studies`` slots.

    Model, for study slot ``i``::

        d       ~ Normal(0, effect_sd)
        tau     ~ data-selected prior (module docstring)
        delta_i ~ Normal(d, tau), partially centred as in hatmeta.bayes.model with
                  sampling variance se_i^2 (masked slots: fully non-centred)
        y_i     ~ Normal(mask_i * delta_i, se_i)

    This is the model for which :mod:`hatmeta.bayes.normal_normal` computes the posterior by
    quadrature; the sampled fit is checked against it, which checks the library's partial
    centring too.

    Parameters
    ----------
    n_studies : int
        Number of study slots.
    coords : sequence of str, optional
        Labels for the study dimension (named ``trial``); defaults to :func:`placeholder_labels`.

    Returns
    -------
    pymc.Model
        Model with ``pm.Data`` containers ``y``, ``se``, ``mask`` (length ``n_studies``) and the
        scalar prior parameters of :func:`build_model` except ``baseline_sd``.

    Notes
    -----
    Masking multiplies the mean by ``mask`` and expects ``y = 0`` (and any ``se > 0``, e.g. 1) in
    masked slots, so their log-likelihood ``log N(0 | 0, se)`` is a constant: the masked study
    contributes exactly nothing to the posterior, and ``y`` stays an observed variable usable for
    posterior predictive checks. A very large ``se`` would only approximately remove the study,
    and a ``pm.Potential`` weighted by the mask would lose the observed variable.
    """
    check_size(n_studies, "n_studies")
    labels = list(coords) if coords is not None else placeholder_labels(n_studies)
    if len(labels) != n_studies:
        raise ValueError(f"got {len(labels)} study labels for {n_studies} slots")
    with pm.Model(coords={TRIAL_DIM: labels}) as model:
        y = pm.Data("y", np.zeros(n_studies), dims=TRIAL_DIM)
        se = pm.Data("se", np.ones(n_studies), dims=TRIAL_DIM)
        mask = pm.Data("mask", np.ones(n_studies), dims=TRIAL_DIM)
        priors = scalar_data(NORMAL_SCALAR_DATA_NAMES)
        variance = pt.switch(mask > 0, se**2, MASKED_VARIANCE)
        _, _, delta = effects(priors, variance)
        pm.Normal("obs", mu=mask * delta, sigma=se, observed=y, dims=TRIAL_DIM)
    return model
