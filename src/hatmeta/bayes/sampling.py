"""Compile the binomial-logit model once, then fit many data sets by swapping data, each until
its diagnostics targets are met.

The expensive step on this problem is compiling the model (seconds), not sampling it (a fraction
of a second). :class:`ModelRunner` compiles one model structure per process and turns every
analysis, heterogeneity prior and leave-one-out refit into a data swap with ``nutpie``'s
``CompiledModel.with_data``: trial counts, the inclusion mask *and* the prior parameters are all
``pm.Data`` containers (see :mod:`hatmeta.bayes.model`).

Sampling to a target, not to a fixed length
-------------------------------------------
MCMC takes a different path on another processor even with the same seed, so a fit run to a
fixed length that happens to reach ESS 1000 here may reach 950 elsewhere. :meth:`ModelRunner.fit`
therefore samples until every reported quantity meets the gate's targets (bulk and tail ESS,
R-hat, divergences), deterministically for a given seed on a given machine:

1. sample ``draws`` per chain at the first ``target_accept`` of the config;
2. if the fit diverged, sample again at the next, higher ``target_accept`` (smaller steps are
   paid for only by the fits that need them);
3. if an ESS or R-hat target is missed, sample again with the draws the shortfall predicts
   (ESS grows about linearly with draws), 25% more, at least twice as many for R-hat, up to
   ``max_draws``;
4. a fit that still misses a target at the cap is returned with its failures and every attempt,
   for the gate to stop the run or flag the fit.

A new attempt restarts the chains with the same seed; nutpie's chains are deterministic, so a
longer attempt repeats the shorter one's draws and extends them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import nutpie
import pymc as pm
import xarray as xr

from hatmeta.bayes.compiled import compile_model
from hatmeta.bayes.diagnostics import check_diagnostics, compute_diagnostics
from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.model import ARM_DATA_NAMES, SLOT_DATA_NAMES, TRIAL_DIM, build_model, pack
from hatmeta.bayes.trace import trace_tree

if TYPE_CHECKING:
    from hatmeta.config import Gate, Sampler
    from hatmeta.priors import HeterogeneityPrior

#: Draws per chain are rounded up to a multiple of this when an attempt is extended.
DRAWS_STEP = 250


@dataclass(frozen=True)
class Attempt:
    """One run of the sampler: its length, its step-size target and what it missed."""

    draws: int
    target_accept: float
    failures: tuple[str, ...]
    seconds: float

    def describe(self) -> str:
        return f"{self.draws} draws per chain at target_accept {self.target_accept:g}"


@dataclass
class Fit:
    """A posterior with its diagnostics, the checks it failed and how it got there."""

    tree: xr.DataTree
    diagnostics: dict[str, Any]
    failures: list[str]
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.attempts)

    def record(self) -> list[dict[str, Any]]:
        """The attempts as they go into the diagnostics file (no timings: results must not
        depend on the machine's speed)."""
        return [
            {"draws": a.draws, "target_accept": a.target_accept, "failures": list(a.failures)}
            for a in self.attempts
        ]


def next_draws(draws: int, diagnostics: Mapping[str, Any], gate: Gate, max_draws: int) -> int:
    """Draws per chain for the next attempt after ``draws`` missed an ESS or R-hat target."""
    ratio = 1.0
    for values in diagnostics["variables"].values():
        for key, target in (("ess_bulk", gate.ess_bulk_min), ("ess_tail", gate.ess_tail_min)):
            ess = values[key]
            ratio = max(ratio, target / ess if ess > 0 and math.isfinite(ess) else 2.0)
        if not values["r_hat"] <= gate.r_hat_max:
            ratio = max(ratio, 2.0)
    wanted = math.ceil(draws * ratio * 1.25 / DRAWS_STEP) * DRAWS_STEP
    return min(max(wanted, draws + DRAWS_STEP), max_draws)


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
            self._model = self.build(self.n_trials)
        return self._model

    def build(self, n_trials: int) -> pm.Model:
        """The model structure this runner compiles (a subclass may compile another)."""
        return build_model(n_trials)

    def pack(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One fit's data values packed into the model's containers."""
        return pack(arrays)

    def label(
        self,
        tree: xr.DataTree,
        data: Any,
        arrays: Mapping[str, np.ndarray],
        prior: HeterogeneityPrior,
        seed: int,
    ) -> xr.DataTree:
        """The sampled tree with trial labels and the data the fit used."""
        return _label_tree(tree, data, arrays, prior, seed)

    def diagnose(self, tree: xr.DataTree) -> dict[str, Any]:
        """Diagnostics of every reported quantity of a labelled tree (a subclass whose model
        reports other quantities says which)."""
        return compute_diagnostics(tree)

    @property
    def compiled(self) -> Any:
        """The nutpie compiled model, compiled on first access and then reused (its numba
        callbacks cached on disk across processes: :mod:`hatmeta.bayes.compiled`)."""
        if self._compiled is None:
            start = time.perf_counter()
            self._compiled = compile_model(self.model)
            self.compile_seconds = time.perf_counter() - start
        return self._compiled

    def data_arrays(self, data: FitData, prior: HeterogeneityPrior) -> dict[str, np.ndarray]:
        """Every data value of one fit by name (counts, mask, variances, prior parameters);
        :func:`hatmeta.bayes.model.pack` puts them into the model's containers."""
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
        self,
        data: FitData,
        prior: HeterogeneityPrior,
        gate: Gate,
        *,
        sampler: Sampler | None = None,
    ) -> Fit:
        """Swap in the data and prior and sample until the gate's targets are met.

        ``sampler`` overrides the runner's settings for this fit. The same data, prior and
        settings give identical draws on the same machine (the seed is the sampler's). A fit
        that misses a target at ``max_draws`` is returned with its failures (see the module
        docstring); the caller decides whether that stops the run.
        """
        s = sampler or self.sampler
        arrays = self.data_arrays(data, prior)
        compiled = self.compiled.with_data(**self.pack(arrays))
        ladder = list(s.target_accept)
        draws, accept = s.draws, ladder.pop(0)
        attempts = []
        while True:
            start = time.perf_counter()
            tree = self._sample(compiled, s, draws, accept)
            tree = self.label(tree, data, arrays, prior, s.seed)
            diagnostics = self.diagnose(tree)
            failures = check_diagnostics(diagnostics, gate)
            attempts.append(Attempt(draws, accept, tuple(failures), time.perf_counter() - start))
            if not failures:
                break
            if diagnostics["divergences"] > gate.divergences_max and ladder:
                accept = ladder.pop(0)
                continue
            if draws >= s.max_draws:
                break
            draws = next_draws(draws, diagnostics, gate, s.max_draws)
        return Fit(tree, diagnostics, failures, attempts)

    def _sample(self, compiled: Any, sampler: Sampler, draws: int, accept: float) -> xr.DataTree:
        # The raw Arrow trace, converted by trace_tree to what a fit keeps: nutpie's own
        # conversion of every statistic and the warm-up costs more than some fits' sampling.
        # Not blocking, to reach the sampler's settings, which nutpie records with the trace.
        background = nutpie.sample(
            compiled,
            **nutpie_arguments(sampler, draws, accept),
            return_raw_trace=True,
            blocking=False,
        )
        return trace_tree(background.wait(), compiled, background._settings)


def nutpie_arguments(sampler: Sampler, draws: int, accept: float) -> dict[str, Any]:
    """The arguments of ``nutpie.sample`` for one attempt (``tests/test_bayes_trace.py`` samples
    with the same ones through nutpie's own conversion)."""
    return {
        "draws": int(draws),
        "tune": sampler.tune,
        "chains": sampler.chains,
        "target_accept": accept,
        "adaptation": sampler.adaptation,
        "seed": int(sampler.seed),
        "progress_bar": False,
        "save_warmup": False,
    }


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
    # The sampler statistics are already only those a fit keeps (trace.SAMPLE_STATS).
    stats = tree["sample_stats"].to_dataset()
    per_trial = {
        name: ((TRIAL_DIM,), np.asarray(arrays[name])[: len(keep)])
        for name in (*ARM_DATA_NAMES, *SLOT_DATA_NAMES)
    }
    scalars = {name: ((), np.asarray(v)) for name, v in arrays.items() if np.ndim(v) == 0}
    coords = {TRIAL_DIM: keep}
    observed = xr.Dataset({k: per_trial[k] for k in ("y_control", "y_treatment")}, coords=coords)
    constant = xr.Dataset(
        {
            **{k: per_trial[k] for k in ("n_control", "n_treatment", *SLOT_DATA_NAMES)},
            **scalars,
        },
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
