"""The PyMC model builder: one structure, data-selected priors, empty padding slots."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from hatmeta.bayes.model import build_model


def test_model_supports_prior_predictive() -> None:
    model = build_model(3)
    with model:
        pm.set_data({"counts": [[0, 0, 0], [10, 20, 0], [0, 0, 0], [10, 20, 0]]})
        prior = pm.sample_prior_predictive(draws=200, random_seed=1)
    obs = prior["prior_predictive"]["obs_treatment"].values
    assert obs.shape[-1] == 3
    assert obs[..., 2].max() == 0  # empty padding slot
    assert obs[..., 0].max() <= 10
    tau = prior["prior"]["tau"].values
    # Placeholder prior is half-normal(0.5): median 0.5 * 0.674.
    assert np.median(tau) == pytest.approx(0.337, rel=0.25)


def test_model_size_must_be_a_positive_integer() -> None:
    with pytest.raises(ValueError, match="positive integer"):
        build_model(0)
    with pytest.raises(ValueError, match="labels"):
        build_model(2, coords=["a"])
