"""A network meta-analysis from one compiled model: random and fixed effects, their summaries and
comparison, and the consistency assessment (node-splitting where the network allows it).

Consistency by node-splitting
-----------------------------
For each comparison x-y that the rule of van Valkenhoef et al. (2016) selects
(:mod:`hatmeta.bayes.network_graph`), a node-splitting model (Dias, Welton, Caldwell & Ades
2010, Stat Med 29:932-944) separates the trials that compared x and y (direct evidence, one
parameter ``d_direct``) from the rest of the network (indirect evidence, ``d_indirect = d_y -
d_x`` of the consistency parameters), with the data rewritten as in
:func:`hatmeta.bayes.network_data.node_split` and a common heterogeneity. The table gives both
estimates, the network (consistency) estimate, their difference and the Bayesian two-sided
p-value ``2 min(P(d_direct > d_indirect), P(d_direct < d_indirect))``. Where no comparison is
selected the assessment says so, in words, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hatmeta.bayes.network import NetworkRunner, required_shape
from hatmeta.bayes.network_data import Network, node_split
from hatmeta.bayes.network_graph import LoopAssessment, assess_loops
from hatmeta.bayes.network_summaries import (
    compare_fits,
    heterogeneity_summary,
    league_table,
    model_fit,
    rank_summary,
    versus_reference,
)
from hatmeta.intervals import CI_PROB, interval

if TYPE_CHECKING:
    import xarray as xr

    from hatmeta.bayes.sampling import Fit
    from hatmeta.config import Gate
    from hatmeta.priors import HeterogeneityPrior


def _estimate(prefix: str, log_or: np.ndarray, ci_prob: float) -> dict[str, float]:
    lower, median, upper = interval(np.exp(log_or), ci_prob)
    return {f"{prefix}_OR_median": median, f"{prefix}_OR_lower": lower, f"{prefix}_OR_upper": upper}


def node_split_row(
    split: xr.DataTree, consistency: xr.DataTree, ci_prob: float = CI_PROB
) -> dict[str, object]:
    """One node-split comparison: direct, indirect and network odds ratios of ``y`` against
    ``x``, the difference of the direct and indirect log odds ratios and its p-value."""
    x, y = split.attrs["split"].split(" vs ")
    post = split["posterior"]
    direct = post["d_direct"].values.ravel()
    indirect = post["d_indirect"].values.ravel()
    d = consistency["posterior"]["d"]
    network = (d.sel(treatment=y) - d.sel(treatment=x)).values.ravel()
    difference = direct - indirect
    lower, median, upper = interval(difference, ci_prob)
    above = float(np.mean(difference > 0))
    constant = split["constant_data"]
    direct_trials = sorted(
        {
            str(t)
            for t, s in zip(constant["arm_trial"].values, constant["split"].values, strict=True)
            if s
        }
    )
    return {
        "treatment": y,
        "comparator": x,
        **_estimate("direct", direct, ci_prob),
        **_estimate("indirect", indirect, ci_prob),
        **_estimate("network", network, ci_prob),
        "log_OR_difference_median": median,
        "log_OR_difference_lower": lower,
        "log_OR_difference_upper": upper,
        "p_value": 2.0 * min(above, 1.0 - above),
        # The p-value's resolution: 0 means no draw of the difference crossed zero.
        "draws": int(difference.size),
        "direct_trials": "; ".join(direct_trials),
        "dropped_arms": split.attrs["dropped_arms"],
    }


@dataclass
class NetworkResult:
    """Everything one network analysis gives, as the report and the certainty rating take it."""

    network: Network
    random: Fit
    fixed: Fit
    league: pd.DataFrame
    versus_reference: pd.DataFrame
    rank_probabilities: pd.DataFrame
    sucra: pd.DataFrame
    heterogeneity: dict
    model_comparison: pd.DataFrame
    loops: LoopAssessment
    node_splits: pd.DataFrame | None
    node_split_fits: dict[tuple[str, str], Fit] = field(default_factory=dict)

    def failures(self) -> dict[str, list[str]]:
        """Each fit that missed a diagnostics target -> what it missed."""
        fits = {"random effects": self.random, "fixed effect": self.fixed}
        fits |= {f"node split {x} vs {y}": f for (x, y), f in self.node_split_fits.items()}
        return {name: fit.failures for name, fit in fits.items() if fit.failures}


def analyse_network(
    network: Network,
    runner: NetworkRunner,
    prior: HeterogeneityPrior,
    gate: Gate,
    *,
    higher_is_better: bool,
    ci_prob: float = CI_PROB,
) -> NetworkResult:
    """Fit ``network`` with random effects (under ``prior``) and a fixed effect, summarise both,
    and assess consistency, every fit a data swap of ``runner``'s compiled model.

    Parameters
    ----------
    network : Network
        A connected network (:func:`hatmeta.bayes.network_data.network_from_arms`).
    runner : NetworkRunner
        Compiled for a shape covering the network and its node-splits
        (:func:`hatmeta.bayes.network.required_shape`).
    prior : HeterogeneityPrior
        The heterogeneity prior of the random-effects and node-splitting fits.
    gate : Gate
        Diagnostics targets: every fit samples until it meets them (or reaches the cap; its
        failures are then in :meth:`NetworkResult.failures` for the caller's gate).
    higher_is_better : bool
        Whether more events is favourable (the direction of the ranks).
    """
    loops = assess_loops(network.designs(), network.treatments)
    needed = required_shape(network, loops.comparisons)
    if not runner.shape.covers(needed):
        raise ValueError(f"the runner's shape {runner.shape} does not hold {needed}")
    random = runner.fit(network, prior, gate)
    fixed = runner.fit(network.fixed_effect(), prior, gate)
    probabilities, sucra = rank_summary(random.tree, higher_is_better)
    splits = {
        (x, y): runner.fit(node_split(network, x, y), prior, gate) for x, y in loops.comparisons
    }
    table = (
        pd.DataFrame([node_split_row(f.tree, random.tree, ci_prob) for f in splits.values()])
        if splits
        else None
    )
    return NetworkResult(
        network=network,
        random=random,
        fixed=fixed,
        league=league_table(random.tree, ci_prob),
        versus_reference=versus_reference(random.tree, ci_prob),
        rank_probabilities=probabilities,
        sucra=sucra,
        heterogeneity=heterogeneity_summary(random.tree, ci_prob),
        model_comparison=compare_fits(model_fit(random.tree), model_fit(fixed.tree)),
        loops=loops,
        node_splits=table,
        node_split_fits=splits,
    )
