"""Bayesian network meta-analysis of binary outcomes: the model, compiled once, and its runner.

The model is that of NICE DSU Technical Support Document 2 (Dias, Welton, Sutton & Ades 2011,
updated 2016), binomial likelihood with logit link: arm-based trial baselines, contrast-based
treatment effects. For arm ``k`` of trial ``i``, whose baseline arm has treatment ``b``::

    y_ik ~ Binomial(n_ik, p_ik)
    logit(p_ik) = mu_i + delta_ik                 delta_ib = 0 for the baseline arm
    delta_ik ~ Normal(d_{t_ik} - d_b, tau^2)      random effects; = d_{t_ik} - d_b if fixed
    d_1 = 0 (reference);  d_k ~ Normal(0, effect_sd)   basic parameters: log odds ratios
                                                       against the reference

Multi-arm trials: the conditional formulation
---------------------------------------------
A trial's contrasts with its baseline share the baseline arm, so with a common heterogeneity
their random effects have correlation 0.5: ``Cov(delta_ij, delta_ik) = tau^2 / 2``. TSD 2
(Appendix, "the conditional univariate distributions") writes the multivariate normal as a
sequence. With ``md_ik = d_{t_ik} - d_b`` and arms numbered ``k = 2, 3, ...`` after the baseline
``k = 1``::

    delta_ik | delta_i2..delta_i(k-1) ~ Normal(md_ik + sum_{j<k} (delta_ij - md_ij) / (k - 1),
                                               tau^2 k / (2 (k - 1)))

(the sum runs over ``j = 2..k-1``; its divisor is ``k - 1``). ``tests/test_bayes_network.py``
checks the covariance this produces. Each conditional draw is partially centred as in the
pairwise model (:mod:`hatmeta.bayes.model`): with ``c`` its conditional mean, ``s`` its
conditional sd and ``w = s^2 / (s^2 + v)`` (``v`` the arm's sampling variance against the
baseline), ``theta ~ Normal(w c, s^w)`` and ``delta = c + s^(1-w) (theta - w c)``, which is
exactly ``Normal(c, s)`` for any weight.

Trial baselines
---------------
Each trial's nuisance parameter is given its prior on the mean log-odds of its arms,
``m_i ~ Normal(0, baseline_sd)``, with ``mu_i = m_i - mean_k(delta_ik)`` (the baseline arm's
log-odds): TSD 2's model with its vague baseline prior placed on the arms' mean instead of the
baseline arm (a reparameterisation that samples better for large trials, as in the pairwise
model). For two arms this is the pairwise model itself, term for term.

One compiled structure for every variant
----------------------------------------
The fixed effect, the random effects and each node-splitting model are data: ``random_effects``
(1 or 0) scales the random part (with 0, ``w = 0`` and ``theta`` is an independent standard
normal that touches nothing), and ``split`` marks the arms whose contrast with their baseline is
a node-split's direct evidence, ``d_direct``, instead of ``d_y - d_x``. In the consistency model
no arm is marked and ``d_direct`` samples its prior. The heterogeneity prior is the pairwise
model's (:func:`hatmeta.bayes.model.heterogeneity`): the same named priors, as data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from scipy.special import gammaln, log_expit

from hatmeta.bayes import TRIAL_DIM
from hatmeta.bayes.diagnostics import compute_diagnostics
from hatmeta.bayes.model import heterogeneity
from hatmeta.bayes.network_data import Network, Shape
from hatmeta.bayes.sampling import ModelRunner
from hatmeta.priors import HETEROGENEITY_DATA_NAMES

if TYPE_CHECKING:
    from hatmeta.config import Sampler
    from hatmeta.priors import HeterogeneityPrior

#: Rows of the ``counts`` container (int, each slots x arms).
COUNT_NAMES = ("events", "total", "treatment_index")
#: Rows of the ``arm_data`` container (float, each slots x arms).
ARM_DATA_NAMES = ("arm_mask", "split", "sampling_variance")
#: Entries of the ``priors`` container.
SCALAR_NAMES = ("effect_sd", "baseline_sd", *HETEROGENEITY_DATA_NAMES, "random_effects")
#: Dimensions of a labelled network posterior.
TREATMENT_DIM, CONTRAST_DIM, ARM_DIM = "treatment", "contrast", "arm"


def pack(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Named data values packed into the network model's three containers."""
    return {
        "counts": np.stack([np.asarray(values[n], dtype="int64") for n in COUNT_NAMES]),
        "arm_data": np.stack([np.asarray(values[n], dtype=float) for n in ARM_DATA_NAMES]),
        "priors": np.array([float(values[n]) for n in SCALAR_NAMES]),
    }


def build_network_model(shape: Shape) -> pm.Model:
    """Build the network model (module docstring) for a compiled ``shape``.

    Containers (see :func:`pack`): ``counts`` (int; events, totals and treatment index of each
    slot x arm), ``arm_data`` (arm mask, node-split marks, sampling variances) and ``priors``
    (``effect_sd``, ``baseline_sd``, the heterogeneity prior's four values, ``random_effects``).

    Free variables: ``d_free`` (basic parameters of treatments 2..T), ``d_direct``, the two
    heterogeneity latents, ``theta_k`` for arm positions ``k = 1..A-1`` and ``m``.
    Deterministics: ``d`` (0 for the reference), ``tau``, ``delta`` (slots x positions 1..A-1),
    ``mu`` (baseline arms' log-odds) and ``eta`` (every arm's log-odds).
    """
    slots, n_arms, n_treatments = (int(v) for v in shape)
    if slots < 1 or n_arms < 2 or n_treatments < 2:
        raise ValueError(f"a network needs a trial, two arms and two treatments, got {shape}")
    coords = {
        TRIAL_DIM: [f"slot{i}" for i in range(slots)],
        "position": list(range(1, n_arms)),
        "arm_position": list(range(n_arms)),
        TREATMENT_DIM: [f"t{i}" for i in range(n_treatments)],
    }
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", np.zeros((len(COUNT_NAMES), slots, n_arms), dtype="int64"))
        arm_data = pm.Data("arm_data", np.ones((len(ARM_DATA_NAMES), slots, n_arms)))
        events, total, treatment = counts[0], counts[1], counts[2]
        arm_mask, split, variance = arm_data[0], arm_data[1], arm_data[2]
        # Placeholders only, so that a freshly built model is valid; every fit overwrites them.
        values = pm.Data("priors", np.array([2.5, 5.0, 1.0, 0.5, -2.56, 1.74, 1.0]))
        priors = {name: values[i] for i, name in enumerate(SCALAR_NAMES)}
        switch = priors["random_effects"]
        d_free = pm.Normal("d_free", 0.0, priors["effect_sd"], shape=n_treatments - 1)
        d = pm.Deterministic("d", pt.concatenate([pt.zeros(1), d_free]), dims=TREATMENT_DIM)
        d_direct = pm.Normal("d_direct", 0.0, priors["effect_sd"])
        tau = heterogeneity(priors)
        d_arm = d[treatment]
        mean_contrast = (1.0 - split) * (d_arm - d_arm[:, 0][:, None]) + split * d_direct
        deltas: list[pt.TensorVariable] = []
        for k in range(1, n_arms):
            # TSD 2's arm number is k + 1: conditional sd tau sqrt((k + 1) / (2 k)), and the
            # previous deviations divided by k.
            previous = sum(deltas[j - 1] - mean_contrast[:, j] for j in range(1, k))
            centre = mean_contrast[:, k] + previous / k
            sd = tau * np.sqrt((k + 1) / (2 * k))
            w = switch * sd**2 / (sd**2 + variance[:, k])
            theta = pm.Normal(f"theta_{k}", w * centre, sd**w, dims=TRIAL_DIM)
            deltas.append(centre + switch * sd ** (1.0 - w) * (theta - w * centre))
        delta = pm.Deterministic("delta", pt.stack(deltas, axis=1), dims=(TRIAL_DIM, "position"))
        full = pt.concatenate([pt.zeros((slots, 1)), delta], axis=1)
        n_real = pt.maximum(arm_mask.sum(axis=1), 1.0)
        centred = full - ((arm_mask * full).sum(axis=1) / n_real)[:, None]
        m = pm.Normal("m", 0.0, priors["baseline_sd"], dims=TRIAL_DIM)
        eta = pm.Deterministic("eta", m[:, None] + centred, dims=(TRIAL_DIM, "arm_position"))
        pm.Deterministic("mu", eta[:, 0], dims=TRIAL_DIM)
        pm.Binomial("obs", n=total, logit_p=eta, observed=events)
    return model


class NetworkRunner(ModelRunner):
    """The network model compiled once for ``shape``; :meth:`fit` swaps in a :class:`Network`
    (random or fixed effect, consistency or node-split) and samples to the gate's targets.

    Parameters
    ----------
    shape : Shape
        Trial slots, arm positions and treatments of the compiled model (the largest network
        and node-split of the run: :func:`required_shape`).
    sampler : Sampler
        NUTS settings and seed.
    effect_sd, baseline_sd : float
        Prior sds of the basic parameters (and of ``d_direct``) and of the trial baselines.
    """

    def __init__(
        self, shape: Shape, sampler: Sampler, *, effect_sd: float, baseline_sd: float
    ) -> None:
        super().__init__(shape.slots, sampler, effect_sd=effect_sd, baseline_sd=baseline_sd)
        self.shape = Shape(*shape)

    def build(self, n_trials: int) -> pm.Model:
        return build_network_model(self.shape)

    def pack(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return pack(arrays)

    def data_arrays(self, data: Network, prior: HeterogeneityPrior) -> dict[str, np.ndarray]:
        scalars = {"effect_sd": self.effect_sd, "baseline_sd": self.baseline_sd}
        return {
            **data.arrays(self.shape),
            **prior.data_arrays(),
            **{k: np.asarray(v, dtype="float64") for k, v in scalars.items()},
        }

    def label(
        self,
        tree: xr.DataTree,
        data: Network,
        arrays: Mapping[str, np.ndarray],
        prior: HeterogeneityPrior,
        seed: int,
    ) -> xr.DataTree:
        return label_network(tree, data, arrays, prior, seed)

    def diagnose(self, tree: xr.DataTree) -> dict[str, Any]:
        post = tree["posterior"]
        names = [n for n in ("d", "tau", "delta", "mu", "d_direct", "d_indirect") if n in post]
        # The reference's basic parameter is 0 by definition: not a quantity to diagnose.
        basic = post["d"].to_dataset()["d"].isel({TREATMENT_DIM: slice(1, None)})
        draws = xr.Dataset(
            {n: post[n].to_dataset()[n] for n in names if n != "d"}
            | {"d": basic.rename({TREATMENT_DIM: "basic"})}
        )
        return compute_diagnostics(tree, names, draws=draws)


def required_shape(network: Network, splits: Sequence[tuple[str, str]] = ()) -> Shape:
    """The shape that holds ``network`` and its node-splitting models of ``splits``."""
    from hatmeta.bayes.network_data import node_split

    return Shape.covering(network.shape, *(node_split(network, x, y).shape for x, y in splits))


def _positions(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Slot and arm position of every arm of the network, in table order."""
    slot = network.arms.groupby("trial", sort=False).ngroup().to_numpy()
    position = network.arms.groupby("trial", sort=False).cumcount().to_numpy()
    return slot, position


def arm_log_likelihood(eta: np.ndarray, events: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Binomial log-likelihood of each arm at log-odds ``eta`` (draws in the leading axes)."""
    combinations = gammaln(total + 1) - gammaln(events + 1) - gammaln(total - events + 1)
    return combinations + events * log_expit(eta) + (total - events) * log_expit(-eta)


def label_network(
    tree: xr.DataTree,
    network: Network,
    arrays: Mapping[str, np.ndarray],
    prior: HeterogeneityPrior,
    seed: int,
) -> xr.DataTree:
    """The sampled tree reduced to the network's quantities, labelled, with its data.

    ``posterior``: ``d`` (treatment; 0 for the reference), ``mu`` (trial), ``eta`` (every arm's
    log-odds), and with random
    effects ``tau`` and ``delta`` (contrast: every non-baseline arm), with a node split
    ``d_direct`` and ``d_indirect``. ``log_likelihood``: ``obs`` per arm (for LOO and DIC).
    ``observed_data`` and ``constant_data``: the arms' counts, trials and treatments.
    """
    raw = tree["posterior"].to_dataset()
    slot, position = _positions(network)
    trials, labels = list(network.trials), network.arm_labels()
    contrast = position > 0
    sample = ("chain", "draw")
    events = network.arms["events"].to_numpy()
    total = network.arms["total"].to_numpy()
    eta = raw["eta"].values[:, :, slot, position]
    posterior = {
        "d": ((*sample, TREATMENT_DIM), raw["d"].values[:, :, : len(network.treatments)]),
        "mu": ((*sample, TRIAL_DIM), raw["mu"].values[:, :, : len(trials)]),
        # Every arm's fitted log-odds: the plug-in deviance of the DIC needs the posterior mean
        # of the fitted probabilities, which the log-likelihood alone does not give back.
        "eta": ((*sample, ARM_DIM), eta),
    }
    if network.random_effects:
        delta = raw["delta"].values[:, :, slot[contrast], position[contrast] - 1]
        posterior |= {"tau": (sample, raw["tau"].values), "delta": ((*sample, CONTRAST_DIM), delta)}
    if network.split is not None:
        x, y = (network.treatments.index(t) for t in network.split)
        d = raw["d"].values
        posterior |= {
            "d_direct": (sample, raw["d_direct"].values),
            "d_indirect": (sample, d[:, :, y] - d[:, :, x]),
        }
    coords = {
        "chain": raw["chain"].values,
        "draw": raw["draw"].values,
        TREATMENT_DIM: list(network.treatments),
        TRIAL_DIM: trials,
        CONTRAST_DIM: [a for a, c in zip(labels, contrast, strict=True) if c],
        ARM_DIM: labels,
    }

    def dataset(variables: dict) -> xr.Dataset:
        used = {dim for dims, _ in variables.values() for dim in dims}
        return xr.Dataset(variables, coords={k: v for k, v in coords.items() if k in used})

    arm = (ARM_DIM,)
    scalars = {n: ((), np.asarray(v)) for n, v in arrays.items() if np.ndim(v) == 0}
    out = xr.DataTree.from_dict(
        {
            "posterior": dataset(posterior),
            "sample_stats": tree["sample_stats"].to_dataset(),
            "log_likelihood": dataset(
                {"obs": ((*sample, ARM_DIM), arm_log_likelihood(eta, events, total))}
            ),
            "observed_data": dataset({"obs": (arm, events)}),
            "constant_data": dataset(
                {
                    "total": (arm, total),
                    "arm_trial": (arm, network.arms["trial"].to_numpy(dtype=str)),
                    "arm_treatment": (arm, network.arms["treatment"].to_numpy(dtype=str)),
                    "split": (arm, network.arms["split"].to_numpy(dtype=bool)),
                    **scalars,
                }
            ),
        }
    )
    out.attrs.update(
        {
            "prior_name": prior.name if network.random_effects else "fixed_effect",
            "prior_label": prior.label if network.random_effects else "none (fixed effect)",
            "seed": int(seed),
            "reference": network.reference,
            "model": "random effects" if network.random_effects else "fixed effect",
            "split": "" if network.split is None else " vs ".join(network.split),
            "dropped_arms": "; ".join(network.dropped),
        }
    )
    return out
