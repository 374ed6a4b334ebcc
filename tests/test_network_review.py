"""The network stage on this review's sheet: the retention network against R (metafor's rma.mv
and the exact binomial glm), the stage's outputs, and the GRADE rules of network comparisons.

One network model is compiled for the module; every fit is a data swap.
"""

from __future__ import annotations

import json

import arviz as az
import numpy as np
import pandas as pd
import pytest
from bayes_data import GATE, SAMPLER
from conftest import CONFIG, ROOT
from oracles.network import network_oracle

from hatmeta import layout
from hatmeta.bayes.network import NetworkRunner
from hatmeta.bayes.network_data import Shape
from hatmeta.bayes.network_stage import DISCONNECTED, prepare, run_networks
from hatmeta.certainty.network import incoherence, intransitivity
from hatmeta.config import load, settings
from hatmeta.data.sheet import load_bibliography
from hatmeta.data.tables import build_tables
from hatmeta.data.trials import load_trials
from hatmeta.network_settings import NetworkCertainty, network_settings
from hatmeta.priors import half_normal


@pytest.fixture(scope="module")
def review():
    """The project's typed settings, network settings, harmonised sheet and trials table."""
    config = load(CONFIG)
    typed = settings(config)
    data = {k: None if v is None else str(ROOT / v) for k, v in typed.data._asdict().items()}
    typed = typed._replace(data=typed.data._replace(**data))
    tables = build_tables(typed.data.extraction, typed.data.bibliography, typed.extract)
    harmonised = tables["harmonised"]
    trials = load_trials(
        typed.data.trials, load_bibliography(typed.data.bibliography), harmonised["trial"]
    )
    return typed, network_settings(config, typed), harmonised, trials


@pytest.fixture(scope="module")
def retention(review):
    typed, networks, harmonised, trials = review
    item = prepare(
        networks.networks["retention"], networks, harmonised, typed.evidence.sets["all"], trials
    )
    assert item.status == "analysed"
    return item


def test_the_retention_network_has_every_arm_of_its_trials_with_its_source(retention) -> None:
    """Nodes as the data allow: oral methadone, SIH, SIM (RIOTT), hydromorphone (NAOMI) and
    inhaled heroin (the Dutch inhalable trial), connected; loops only inside the 3-arm trials."""
    arms = retention.arms
    assert set(arms["node"]) == {"OMMT", "SIH", "SIM", "HDM", "INH"}
    assert set(arms.loc[arms["trial"] == "EN2010", "node"]) == {"OMMT", "SIH", "SIM"}
    assert set(arms.loc[arms["trial"] == "CA2009", "node"]) == {"OMMT", "SIH", "HDM"}
    assert arms["source"].str.len().min() > 0 and (arms["line"] > 1).all()
    assert retention.geometry.connected
    left = retention.table[~retention.table["included"]]
    assert (left["reason"].str.len() > 0).all()


def test_retention_network_agrees_with_rma_mv_and_the_exact_glm(retention) -> None:
    """Near-flat priors (sd 10) on the basic parameters and baselines. The fixed effect against
    R's exact binomial maximum likelihood (glm): the same model, so within four Monte Carlo
    standard errors of the median plus the gap between a skewed posterior's median and the
    likelihood's maximum (arms of 25 patients with 22 events: allowed 0.15 standard errors).
    The random effects against metafor's rma.mv (normal approximation, REML tau), as far as
    the models agree: the normal approximation's shift ``|glm - rma_fixed|`` plus half a
    standard error (REML's point tau against a posterior over tau) plus Monte Carlo error, as on
    the metadat network (tests/test_bayes_network.py)."""
    network = retention.network
    runner = NetworkRunner(Shape(4, 3, 5), SAMPLER, effect_sd=10.0, baseline_sd=10.0)
    fixed = runner.fit(network.fixed_effect(), half_normal(0.5), GATE)
    random = runner.fit(network, half_normal(0.5), GATE)
    assert fixed.failures == [] and random.failures == []
    oracle = network_oracle(network.arms, network.reference, list(network.treatments[1:]))
    for treatment in network.treatments[1:]:
        chains = fixed.tree["posterior"]["d"].sel(treatment=treatment).values
        draws = chains.ravel()
        median, sd = float(np.median(draws)), float(draws.std())
        mcse = float(az.mcse(chains, method="median"))
        mle, se = (oracle["glm_fixed"][k][treatment] for k in ("estimate", "se"))
        print(f"fixed {treatment}: median {median:.3f} (sd {sd:.3f}, MCSE {mcse:.3f}); "
              f"glm {mle:.3f} (se {se:.3f})")  # fmt: skip
        assert abs(median - mle) <= 0.15 * se + 4 * mcse
        assert sd == pytest.approx(se, rel=0.15)
        post = random.tree["posterior"]["d"].sel(treatment=treatment).values.ravel()
        shift = abs(mle - oracle["rma_fixed"]["estimate"][treatment])
        estimate, rse = (oracle["rma_random"][k][treatment] for k in ("estimate", "se"))
        tolerance = shift + 0.5 * rse + 0.02
        print(
            f"random {treatment}: posterior median {np.median(post):.3f}, rma.mv {estimate:.3f} "
            f"(se {rse:.3f}), tolerance {tolerance:.3f}"
        )
        assert abs(float(np.median(post)) - estimate) <= tolerance
    print(f"tau: REML {np.sqrt(oracle['rma_random']['tau2']):.3f}")


def test_the_stage_writes_every_output_and_names_a_disconnected_networks_parts(
    review, tmp_path
) -> None:
    """A network whose trials share no treatment is written as disconnected, each part with its
    treatments and trials, nothing pooled; a connected one has every table."""
    typed, networks, harmonised, _ = review
    spec = networks.networks["retention"]
    # A made-up trial of two other treatments (the Dutch trial's counts, its arms renamed SIM
    # and HDM) beside the German trial (SIH, OMMT): two parts that share no treatment.
    rows = harmonised.copy()
    extra = rows[(rows["trial"] == "NL2003I") & (rows["outcome"] == "retention")].copy()
    extra["trial"], extra["node"] = "XX2020", extra["node"].map({"INH": "HDM", "OMMT": "SIM"})
    extra["arm"] = extra["node"]
    rows = pd.concat([rows, extra], ignore_index=True)
    split = spec._replace(
        name="split", selection=spec.selection._replace(trials=("DE2007", "XX2020"))
    )
    networks = networks._replace(networks={"split": split, "retention": spec})
    outputs = {
        name: layout.NetworkFiles(
            *(str(tmp_path / name / f"{kind}.x") for kind in layout.NetworkFiles._fields)
        )
        for name in networks.networks
    }
    done = run_networks(networks, rows, None, typed.evidence.sets["all"], "all", outputs)
    item, result = done["split"]
    assert item.status == DISCONNECTED and result is None
    with open(outputs["split"].diagnostics) as handle:
        record = json.load(handle)
    assert "component 1: {OMMT, SIH} (trials: DE2007)" in record["statement"]
    assert "component 2: {SIM, HDM} (trials: XX2020)" in record["statement"]
    assert pd.read_csv(outputs["split"].league).empty
    assert done["retention"][1] is not None
    league = pd.read_csv(outputs["retention"].league)
    assert len(league) == 5 * 4


def test_incoherence_and_intransitivity_rules() -> None:
    rules = NetworkCertainty(incoherence_p=0.1, indirect_only_down=1, definitions_down=1)
    split = pd.DataFrame(
        [{"treatment": "B", "comparator": "A", "p_value": 0.04, "statement": "loops"}]
    )
    assert incoherence(split, "A", "B", "loops", 0.1).level == 1
    assert incoherence(split, "A", "B", "loops", 0.01).level == 0
    other = incoherence(split, "A", "C", "loops", 0.1)
    assert other.level == 0 and not other.assessed and "not node-split" in other.numbers
    none = incoherence(pd.DataFrame([{"statement": "not assessable"}]), "A", "B", "x", 0.1)
    assert none.level == 0 and not none.assessed and "Some concerns" in none.numbers
    assert intransitivity(["T1"], ["m"], False, rules).level == 0
    assert intransitivity([], ["m"], False, rules).level == 1
    assert intransitivity(["T1"], ["m", "n"], False, rules).level == 1
    assert intransitivity(["T1"], ["m", "n"], True, rules).level == 0
    assert intransitivity([], ["m", "n"], False, rules._replace(definitions_down=2)).level == 2


def test_network_config_names_are_checked_and_no_networks_means_no_stage() -> None:
    from hatmeta.config_checks import network_problems

    config = load(CONFIG)
    assert network_problems(config) == []
    spec = config["networks"]["retention"]
    config["networks"]["retention"] = {
        **spec, "outcome": "nausea", "prior": "flat", "pairs": [["SIH", "SIH"]]
    }  # fmt: skip
    keys = [key for key, _ in network_problems(config)]
    assert keys == [
        "networks/retention/outcome",
        "networks/retention/prior",
        "networks/retention/pairs/0",
    ]
    config = load(CONFIG)
    config["networks"] = {}
    assert network_settings(config, settings(config)) is None
