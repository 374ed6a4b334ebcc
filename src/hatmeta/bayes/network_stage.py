"""The network stage: every configured network of one evidence set from one compiled model.

For each network (:class:`hatmeta.network_settings.NetworkSpec`) the arms are picked from the
harmonised sheet (:func:`hatmeta.data.network.network_table`), its geometry is described, and
then one of three things happens, each written down:

* the network is connected and has two or more treatments, including the reference: it is
  analysed (:func:`hatmeta.bayes.network_analysis.analyse_network`), random and fixed effects
  and node-splits, every fit a data swap of one model compiled for the largest of them;
* its trials fall into parts: it is reported as disconnected, each part named with its
  treatments and trials, and nothing is pooled across the parts;
* it has no trial with two usable arms, or no trial of the reference: it is reported as such.

The tables of a network that is not analysed are written with their columns and no rows, so
that every declared output exists and none pretends to a result.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta import priors
from hatmeta.bayes.diagnostics import enforce
from hatmeta.bayes.network import NetworkRunner, required_shape
from hatmeta.bayes.network_analysis import NetworkResult, analyse_network
from hatmeta.bayes.network_data import NetworkInputError, Shape, network_from_arms
from hatmeta.bayes.network_graph import DisconnectedNetworkError, assess_loops
from hatmeta.bayes.network_summaries import RANKING_CAUTION
from hatmeta.data.network import Geometry, geometry, network_arms, network_table
from hatmeta.io import write_csv, write_json

if TYPE_CHECKING:
    from hatmeta.bayes.network_data import Network
    from hatmeta.layout import NetworkFiles
    from hatmeta.network_settings import NetworkSettings, NetworkSpec

log = logging.getLogger(__name__)

#: Status of a network: analysed, or why not.
ANALYSED, DISCONNECTED, NO_NETWORK = "analysed", "disconnected", "not a network"
LEAGUE_COLUMNS = ["treatment", "comparator", "OR_median", "OR_lower", "OR_upper"]
LEAGUE_COLUMNS += ["log_OR_median", "P(OR>1)"]
RANK_COLUMNS = ["treatment", "SUCRA", "mean_rank", "median_rank", "P(best)", "best_is"]
FIT_COLUMNS = ["model", "data_points", "residual_deviance", "p_d", "dic", "elpd_loo"]
FIT_COLUMNS += ["elpd_loo_se", "p_loo", "high_pareto_k", "DIC_minus_fixed", "elpd_minus_fixed"]


@dataclass
class PreparedNetwork:
    """One network's arms and shape, and whether (else why not) it can be analysed."""

    spec: NetworkSpec
    table: pd.DataFrame
    arms: pd.DataFrame
    geometry: Geometry
    network: Network | None
    status: str
    statement: str


def treatment_order(present: Sequence[str], reference: str, labels: Sequence[str]) -> list[str]:
    """The treatments other than the reference: in the order of ``labels`` (the config's),
    then any other in order of appearance."""
    present = list(dict.fromkeys(present))
    ordered = [t for t in labels if t in present and t != reference]
    return ordered + [t for t in present if t not in ordered and t != reference]


def prepare(
    spec: NetworkSpec,
    settings: NetworkSettings,
    harmonised: pd.DataFrame,
    statuses: Sequence[str],
    trials: pd.DataFrame | None,
) -> PreparedNetwork:
    """Pick a network's arms and decide whether it can be analysed (module docstring)."""
    table = network_table(harmonised, spec.selection, statuses, trials)
    arms = network_arms(table)
    reference = settings.reference
    shape = geometry(arms, [reference, *settings.labels])
    nodes = list(shape.nodes["node"])

    def unanalysed(status: str, statement: str) -> PreparedNetwork:
        return PreparedNetwork(spec, table, arms, shape, None, status, statement)

    if len(nodes) < 2 or arms.empty:
        return unanalysed(
            NO_NETWORK, "No trial has usable counts for two or more treatments: no network."
        )
    if not shape.connected:
        parts = DisconnectedNetworkError(
            _components(arms, shape.components), f"network '{spec.name}'"
        )
        return unanalysed(DISCONNECTED, f"Not analysed as one network. {parts}.")
    if reference not in nodes:
        return unanalysed(
            NO_NETWORK,
            f"No trial of the network has an arm of the reference treatment {reference}: "
            "nothing is compared with it.",
        )
    long = arms.rename(columns={"node": "treatment"})
    try:
        network = network_from_arms(
            long,
            reference,
            order=treatment_order(nodes, reference, list(settings.labels)),
            source=f"network '{spec.name}'",
        )
    except (NetworkInputError, DisconnectedNetworkError) as err:  # checked above; never silent
        raise NetworkInputError(str(err)) from err
    return PreparedNetwork(spec, table, arms, shape, network, ANALYSED, "")


def _components(arms: pd.DataFrame, parts: Sequence[Sequence[str]]):
    from hatmeta.bayes.network_graph import Component

    out = []
    for nodes in parts:
        trials = arms.loc[arms["node"].isin(nodes), "trial"]
        out.append(Component(tuple(nodes), tuple(dict.fromkeys(trials))))
    return out


def compiled_shape(prepared: Mapping[str, PreparedNetwork]) -> Shape | None:
    """The shape that holds every analysable network and its node-splits (None: none is)."""
    shapes = []
    for item in prepared.values():
        if item.network is not None:
            net = item.network
            loops = assess_loops(net.designs(), net.treatments)
            shapes.append(required_shape(net, loops.comparisons))
    return Shape.covering(*shapes) if shapes else None


def rank_table(result: NetworkResult) -> pd.DataFrame:
    """SUCRA, mean and median rank, and each rank's probability, with the caution."""
    probabilities = result.rank_probabilities.copy()
    probabilities.columns = [f"P(rank={r})" for r in probabilities.columns]
    table = result.sucra.merge(probabilities, left_on="treatment", right_index=True)
    return table.assign(caution=RANKING_CAUTION)


def consistency_table(result: NetworkResult | None, statement: str) -> pd.DataFrame:
    """The node-split rows with the loop statement, or one row with the statement alone."""
    if result is None:
        return pd.DataFrame([{"statement": statement}])
    if result.node_splits is None:
        return pd.DataFrame([{"statement": result.loops.statement}])
    return result.node_splits.assign(statement=result.loops.statement)


def fit_record(result: NetworkResult) -> dict[str, Any]:
    """Each fit's diagnostics, attempts and failures, as the diagnostics file keeps them."""
    fits = {"random effects": result.random, "fixed effect": result.fixed}
    fits |= {f"node split {x} vs {y}": f for (x, y), f in result.node_split_fits.items()}
    return {
        name: {"diagnostics": f.diagnostics, "attempts": f.record(), "failures": f.failures}
        for name, f in fits.items()
    }


def write_network(
    item: PreparedNetwork,
    result: NetworkResult | None,
    files: NetworkFiles,
    evidence: str,
    prior_label: str,
) -> None:
    """Every table and the diagnostics file of one network (figures: the caller)."""
    write_csv(item.table, files.arms)
    empty = result is None
    write_csv(pd.DataFrame(columns=LEAGUE_COLUMNS) if empty else result.league, files.league)
    write_csv(
        pd.DataFrame(columns=LEAGUE_COLUMNS) if empty else result.versus_reference,
        files.versus_reference,
    )
    write_csv(pd.DataFrame(columns=RANK_COLUMNS) if empty else rank_table(result), files.ranks)
    write_csv(
        pd.DataFrame(columns=FIT_COLUMNS) if empty else result.model_comparison, files.model_fit
    )
    write_csv(consistency_table(result, item.statement), files.consistency)
    spec = item.spec
    record = {
        "network": spec.name,
        "title": spec.title,
        "evidence": evidence,
        "status": item.status,
        "statement": item.statement,
        "outcome": spec.selection.outcome.name,
        "higher_is_better": spec.selection.outcome.higher_is_better,
        "measures": sorted(set(item.arms["measure"])),
        "trials": list(dict.fromkeys(item.arms["trial"])),
        "components": [list(c) for c in item.geometry.components],
        "nodes": item.geometry.nodes.to_dict("records"),
        "edges": item.geometry.edges.to_dict("records"),
    }
    if result is not None:
        record |= {
            "reference": result.network.reference,
            "treatments": list(result.network.treatments),
            "prior": prior_label,
            "heterogeneity": result.heterogeneity,
            "loops": {
                "assessable": result.loops.assessable,
                "comparisons": [list(c) for c in result.loops.comparisons],
                "statement": result.loops.statement,
            },
            "fits": fit_record(result),
        }
    write_json(record, files.diagnostics)


def run_networks(
    settings: NetworkSettings,
    harmonised: pd.DataFrame,
    trials: pd.DataFrame | None,
    statuses: Sequence[str],
    evidence: str,
    outputs: Mapping[str, NetworkFiles],
) -> dict[str, tuple[PreparedNetwork, NetworkResult | None]]:
    """Prepare, fit and write every network of ``outputs`` (one evidence set).

    The model is compiled once, for the shape that holds every analysable network and its
    node-splits. A fit that misses the diagnostics gate stops the run (or is flagged in its
    diagnostics file, as the gate says).
    """
    prepared = {
        name: prepare(settings.networks[name], settings, harmonised, statuses, trials)
        for name in outputs
    }
    shape = compiled_shape(prepared)
    runner = None
    if shape is not None:
        runner = NetworkRunner(
            shape, settings.sampler, effect_sd=settings.effect_sd, baseline_sd=settings.baseline_sd
        )
    done = {}
    for name, item in prepared.items():
        spec = item.spec
        prior = priors.resolve(
            settings.priors[spec.prior], spec.selection.outcome, settings.turner_comparison
        )
        result = None
        if item.network is not None:
            result = analyse_network(
                item.network,
                runner,
                prior,
                settings.gate,
                higher_is_better=spec.selection.outcome.higher_is_better,
            )
            for fit, failures in result.failures().items():
                enforce(settings.gate, failures, f"{evidence}/network {name}: {fit}", prior.name)
            log.info("%s/%s: %s", evidence, name, result.loops.statement)
        else:
            log.info("%s/%s: %s", evidence, name, item.statement)
        write_network(item, result, outputs[name], evidence, prior.label)
        done[name] = (item, result)
    return done
