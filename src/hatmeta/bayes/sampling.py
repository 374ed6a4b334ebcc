"""Compile the binomial-logit model once, then fit many data sets by swapping data.

The expensive step on this problem is compiling the model (seconds), not sampling it (well under a
second to a few seconds). :class:`ModelRunner` compiles one model structure per process and turns
every analysis, heterogeneity prior and leave-one-out refit into a data swap with ``nutpie``'s
``CompiledModel.with_data``: trial counts, the inclusion mask *and* the prior parameters are all
``pm.Data`` containers (see :mod:`hatmeta.bayes.model`).

Typical use::

    runner = ModelRunner(n_trials=6, sampler=settings.model.sampler, effect_sd=2.5,
                         baseline_sd=5.0)
    posterior = runner.fit(FitData.from_arms(arms, n_trials=6), prior)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import nutpie
import pymc as pm
import xarray as xr

from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.model import ARM_DATA_NAMES, TRIAL_DIM, build_model

if TYPE_CHECKING:
    from hatmeta.config import Sampler
    from hatmeta.priors import HeterogeneityPrior


class ModelRunner:
    """Compile the model for ``n_trials`` slots once; :meth:`fit` swaps data and samples.

    Parameters
    ----------
    n_trials : int
        Number of trial slots (the largest analysis of the run).
    sampler : Sampler
        NUTS settings and seed for every fit (from the config).
    effect_sd, baseline_sd : float
        Prior sds of the pooled log odds ratio ``d`` and of the trial baselines.

    Attributes
    ----------
    compile_seconds : float or None
        Wall time of the (single) compilation, once it has happened.
    """

    def __init__(
        self, n_trials: int, sampler: Sampler, *, effect_sd: float, baseline_sd: float
    ) -> None:
        self.n_trials = int(n_trials)
        self.sampler = sampler
        self.effect_sd = float(effect_sd)
        self.baseline_sd = float(baseline_sd)
        self.compile_seconds: float | None = None
        self._model: pm.Model | None = None
        self._compiled: Any = None

    @property
    def model(self) -> pm.Model:
        """The PyMC model (built on first access), e.g. for prior predictive checks."""
        if self._model is None:
            self._model = build_model(self.n_trials)
        return self._model

    @property
    def compiled(self) -> Any:
        """The nutpie compiled model, compiled on first access and then reused."""
        if self._compiled is None:
            start = time.perf_counter()
            self._compiled = nutpie.compile_pymc_model(self.model)
            self.compile_seconds = time.perf_counter() - start
        return self._compiled

    def data_arrays(self, data: FitData, prior: HeterogeneityPrior) -> dict[str, np.ndarray]:
        """Every ``pm.Data`` value of one fit: counts, mask and prior parameters."""
        if data.n_slots != self.n_trials:
            raise ValueError(f"data has {data.n_slots} slots, the model has {self.n_trials}")
        if not data.mask.any():
            raise ValueError("at least one trial must be included")
        scalars = {"effect_sd": self.effect_sd, "baseline_sd": self.baseline_sd}
        return {
            **data.data_arrays(),
            **prior.data_arrays(),
            **{k: np.asarray(v, dtype="float64") for k, v in scalars.items()},
        }

    def fit(
        self, data: FitData, prior: HeterogeneityPrior, *, sampler: Sampler | None = None
    ) -> xr.DataTree:
        """Swap in the data and prior, sample, and return a labelled posterior.

        ``sampler`` overrides the runner's settings for this fit. The same data, prior and
        settings give identical draws (the seed is the sampler's).

        Returns
        -------
        xarray.DataTree
            Groups ``posterior`` and ``sample_stats`` (no warm-up) with the ``trial`` dimension
            relabelled with the trial names and the padding slots dropped, plus
            ``observed_data`` and ``constant_data`` (counts, mask, prior parameters) so that the
            file is self-describing.
        """
        arrays = self.data_arrays(data, prior)
        compiled = self.compiled.with_data(**arrays)
        s = sampler or self.sampler
        tree = nutpie.sample(
            compiled,
            draws=s.draws,
            tune=s.tune,
            chains=s.chains,
            target_accept=s.target_accept,
            adaptation=s.adaptation,
            seed=int(s.seed),
            progress_bar=False,
            save_warmup=False,
        )
        return _label_tree(tree, data, arrays, prior, s.seed)


def _label_tree(
    tree: xr.DataTree,
    data: FitData,
    arrays: Mapping[str, np.ndarray],
    prior: HeterogeneityPrior,
    seed: int,
) -> xr.DataTree:
    """Relabel trials, drop padding slots and attach the data the fit used."""
    labels = data.slot_labels()
    keep = list(data.trials)

    def relabel(ds: xr.Dataset) -> xr.Dataset:
        if TRIAL_DIM not in ds.dims:
            return ds
        return ds.assign_coords({TRIAL_DIM: labels}).sel({TRIAL_DIM: keep})

    posterior = relabel(tree["posterior"].to_dataset())
    # Object-typed sampler messages do not round-trip through netCDF and carry no numbers.
    stats = tree["sample_stats"].to_dataset()
    stats = stats.drop_vars([v for v in stats.data_vars if stats[v].dtype == object])
    per_trial = {
        name: ((TRIAL_DIM,), np.asarray(arrays[name])[: len(keep)])
        for name in (*ARM_DATA_NAMES, "mask")
    }
    scalars = {name: ((), np.asarray(v)) for name, v in arrays.items() if np.ndim(v) == 0}
    coords = {TRIAL_DIM: keep}
    observed = xr.Dataset({k: per_trial[k] for k in ("y_control", "y_treatment")}, coords=coords)
    constant = xr.Dataset(
        {**{k: per_trial[k] for k in ("n_control", "n_treatment", "mask")}, **scalars},
        coords=coords,
    )
    tree = xr.DataTree.from_dict(
        {
            "posterior": posterior,
            "sample_stats": stats,
            "observed_data": observed,
            "constant_data": constant,
        }
    )
    tree.attrs.update({"prior_name": prior.name, "prior_label": prior.label, "seed": int(seed)})
    return tree
