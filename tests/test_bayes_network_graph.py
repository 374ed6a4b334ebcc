"""The network's shape and its arm table: components, loops, node-split selection and rewrite,
input checks and padding (no sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hatmeta.bayes.fitdata import MASKED_VARIANCE
from hatmeta.bayes.network_data import (
    NetworkInputError,
    Shape,
    network_from_arms,
    node_split,
)
from hatmeta.bayes.network_graph import (
    DisconnectedNetworkError,
    assess_loops,
    components,
    direct_comparisons,
    splittable_comparisons,
)


def arms_of(designs: dict[str, list[str]], events: int = 10, total: int = 50) -> pd.DataFrame:
    rows = [(trial, t, events, total) for trial, ts in designs.items() for t in ts]
    return pd.DataFrame(rows, columns=["trial", "treatment", "events", "total"])


def test_a_disconnected_network_is_refused_with_its_components_named() -> None:
    designs = {"t1": ["A", "B"], "t2": ["B", "C"], "t3": ["D", "E"], "t4": ["E", "F", "D"]}
    parts = components(designs)
    assert [(p.treatments, p.trials) for p in parts] == [
        (("A", "B", "C"), ("t1", "t2")),
        (("D", "E", "F"), ("t3", "t4")),
    ]
    with pytest.raises(DisconnectedNetworkError) as info:
        network_from_arms(arms_of(designs), "A", source="sheet.csv, retention")
    message = str(info.value)
    assert message.startswith("sheet.csv, retention: the network is disconnected into 2 ")
    assert "component 1: {A, B, C} (trials: t1, t2)" in message
    assert "component 2: {D, E, F} (trials: t3, t4)" in message
    assert info.value.components == tuple(parts)
    # Joined by one trial, it is one network.
    joined = network_from_arms(arms_of(designs | {"t5": ["C", "D"]}), "A")
    assert len(components(joined.designs())) == 1


def test_loops_inside_a_multi_arm_trial_are_not_assessable() -> None:
    designs = {"abc": ["A", "B", "C"], "ab1": ["A", "B"], "ab2": ["B", "A"]}
    loops = assess_loops(designs)
    assert not loops.assessable and loops.comparisons == ()
    assert loops.statement.startswith("Inconsistency not assessable")
    assert "within multi-arm trials (abc)" in loops.statement
    # A tree of comparisons has no loop at all, and says so.
    chain = assess_loops({"t1": ["A", "B"], "t2": ["B", "C"], "t3": ["C", "D"]})
    assert not chain.assessable and "has no closed loop" in chain.statement


def test_a_loop_of_separate_trials_is_assessable_and_every_comparison_in_it_split() -> None:
    designs = {"ab": ["A", "B"], "bc": ["B", "C"], "ca": ["C", "A"], "cd": ["C", "D"]}
    loops = assess_loops(designs, ["A", "B", "C", "D"])
    assert loops.assessable
    assert loops.comparisons == (("A", "B"), ("A", "C"), ("B", "C"))  # not C-D: a dead end
    assert "3 comparison(s)" in loops.statement and "A vs B, A vs C, B vs C" in loops.statement


def test_a_multi_arm_trial_with_two_arm_trials_beside_it_splits_only_what_they_bypass() -> None:
    # A-B and A-C are each compared by a two-arm trial and by the three-arm trial, B-C only by
    # the three-arm trial. Removing the trials with both A and B leaves no path from A to B
    # (likewise A-C); removing the three-arm trial leaves B-A-C: only B-C has evidence from
    # both sides (van Valkenhoef et al. 2016).
    designs = {"abc": ["A", "B", "C"], "ab": ["A", "B"], "ac": ["A", "C"]}
    assert splittable_comparisons(designs) == [("B", "C")]
    assert direct_comparisons(designs) == {
        ("A", "B"): ("abc", "ab"),
        ("A", "C"): ("abc", "ac"),
        ("B", "C"): ("abc",),
    }


def test_the_node_split_rewrite_of_multi_arm_trials() -> None:
    designs = {
        "two": ["B", "A"],
        "three": ["C", "A", "B"],
        "four": ["D", "C", "B", "A"],
        "other": ["A", "C"],
        "more": ["C", "D"],
    }
    network = network_from_arms(arms_of(designs), "A", order=["B", "C", "D"])
    split = node_split(network, "B", "A")  # put in network order: A is the baseline
    assert split.split == ("A", "B")
    assert split.designs() == {
        "two": ["A", "B"],
        "three": ["A", "B"],  # the third arm alone would be no comparison
        "four (A vs B)": ["A", "B"],
        "four (other arms)": ["C", "D"],
        "other": ["A", "C"],
        "more": ["C", "D"],
    }
    assert split.dropped == ("three: C",)
    marked = split.arms[split.arms["split"]]
    assert list(zip(marked["trial"], marked["treatment"], strict=True)) == [
        ("two", "B"),
        ("three", "B"),
        ("four (A vs B)", "B"),
    ]
    # The rewrite needs one more trial slot than the network itself.
    assert split.shape == Shape(6, 2, 4) and network.shape == Shape(5, 4, 4)


def test_arms_are_ordered_baseline_first_and_padded() -> None:
    table = pd.DataFrame(
        [
            ("t1", "C", 5, 40),
            ("t1", "A", 0, 30),
            ("t2", "B", 7, 20),
            ("t2", "C", 9, 25),
            ("t2", "A", 3, 22),
        ],
        columns=["trial", "treatment", "events", "total"],
    )
    network = network_from_arms(table, "A", order=["B", "C"])
    assert network.treatments == ("A", "B", "C")
    assert network.designs() == {"t1": ["A", "C"], "t2": ["A", "B", "C"]}
    arrays = network.arrays(Shape(3, 4, 5))
    np.testing.assert_array_equal(arrays["events"][:2], [[0, 5, 0, 0], [3, 7, 9, 0]])
    np.testing.assert_array_equal(arrays["total"][2], [0, 0, 0, 0])
    np.testing.assert_array_equal(arrays["treatment_index"][:2], [[0, 2, 0, 0], [0, 1, 2, 0]])
    np.testing.assert_array_equal(arrays["arm_mask"].sum(axis=1), [2, 3, 0])
    # Woolf's variance of C vs A in t1, with 0.5 added to the four cells (A has no events).
    expected = 1 / 5.5 + 1 / 35.5 + 1 / 0.5 + 1 / 30.5
    assert arrays["sampling_variance"][0, 1] == pytest.approx(expected)
    assert arrays["sampling_variance"][1, 2] == pytest.approx(1 / 9 + 1 / 16 + 1 / 3 + 1 / 19)
    assert (arrays["sampling_variance"][:, 0] == MASKED_VARIANCE).all()
    assert float(arrays["random_effects"]) == 1.0
    assert float(network.fixed_effect().arrays(Shape(3, 4, 5))["random_effects"]) == 0.0
    with pytest.raises(ValueError, match="does not fit"):
        network.arrays(Shape(3, 2, 5))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("t1", "A", 5, 10)], "trial 't1' has 1"),
        ([("t1", "A", 5, 10), ("t1", "A", 6, 10)], "2 arms of treatment 'A' \\(rows 0, 1\\)"),
        ([("t1", "A", 11, 10), ("t1", "B", 6, 10)], "row 0, trial 't1': need 0 <= events"),
        ([("t1", "A", 2.5, 10), ("t1", "B", 6, 10)], "events must be a whole number"),
        ([("t1", "A", 1, 10), ("t1", "B", 6, None)], "row 1, trial 't1': total must be"),
        ([("t1", "B", 1, 10), ("t1", "C", 6, 10)], "reference treatment 'A' is in no trial"),
    ],
)
def test_bad_arm_tables_are_refused_naming_the_source_and_the_trial(rows, message) -> None:
    table = pd.DataFrame(rows, columns=["trial", "treatment", "events", "total"])
    with pytest.raises(NetworkInputError, match=f"^sheet.csv: .*{message}"):
        network_from_arms(table, "A", source="sheet.csv")
