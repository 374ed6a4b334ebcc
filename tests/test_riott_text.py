"""Tipping points, what the conclusion depends on, and the sentences built from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from riott_data import RIOTT

from hatmeta.riott import propagation, text

IMORS = RIOTT.tipping.imor_methadone  # 0, 1, 4


def curve(share, reading, p_benefit, lower, usable=(True, True, True), reason=""):
    return pd.DataFrame(
        {
            "anchor": "mar",
            "anchor_reading": reading,
            "missing_share_heroin": share,
            "missing_share_methadone": share + 0.43,
            "imor_methadone": IMORS,
            "pooled_p_benefit": p_benefit,
            "riott_or_lower": lower,
            "usable": usable,
            "reason": [("" if u else reason) for u in usable],
        }
    )


def test_tipping_points_leave_out_incompatible_cells_and_say_why():
    cells = pd.concat(
        [
            curve(0.05, "percentage_points", [0.99, 0.9, 0.5], [2.0, 0.5, 0.1]),
            curve(0.15, "percentage_points", [0.99, 0.97, 0.5], [2.0, 1.5, 0.5]),
            curve(
                0.25,
                "percentage_points",
                [0.99, 0.5, 0.1],
                [2.0, 0.1, 0.1],
                usable=(False, False, False),
                reason="ceiling below 11/42",
            ),
        ]
    )
    points = propagation.tipping_points(cells, 0.95)
    assert list(points["unusable_cells"]) == [0, 0, 3] and list(points["cells"]) == [3, 3, 3]
    assert points.loc[0, "imor_pooled_loses_benefit"] == 0 + (0.95 - 0.99) / (0.9 - 0.99)
    assert points.loc[1, "imor_riott_ci_includes_1"] == 1 + 3 * (1 - 1.5) / (0.5 - 1.5)
    assert np.isnan(points.loc[2, "imor_pooled_loses_benefit"])
    [sentence] = text.tipping_sentences(points, RIOTT)
    assert "15% and 58% of tests missed" in sentence
    assert "At a heroin missing share of 25% the model cannot reproduce" in sentence
    assert "ceiling below 11/42" in sentence


def structural_rows():
    rows = []
    defaults = {
        "missing_share_heroin": 0.15,
        "anchor_reading": "percentage_points",
        "sigma_provide": 1.0,
        "rho": 0.5,
    }
    effects = {  # (RIOTT OR median, pooled P(benefit)) when one assumption leaves its default
        ("sigma_provide", 0.5): (0.1, 0.8),
        ("anchor_reading", "relative"): (9.0, 0.98),
        ("rho", 0.0): (0.2, 0.85),
        ("missing_share_heroin", 0.05): (0.3, 0.86),
    }
    rows.append(defaults | {"riott_or_median": 0.25, "pooled_p_benefit": 0.84, "usable": True})
    for (name, value), (ratio, p) in effects.items():
        rows.append(
            defaults
            | {name: value, "riott_or_median": ratio, "pooled_p_benefit": p, "usable": True}
        )
    return pd.DataFrame(rows)


def test_depends_on_says_which_assumptions_move_which_result():
    riott = RIOTT._replace(ranges=RIOTT.ranges._replace(sigma_provide=(0.5, 1.0)))
    depends = propagation.depends_on(structural_rows(), riott, 0.95).set_index("assumption")
    assert depends.loc["anchor_reading", "pooled_conclusion_changes"]
    assert depends.loc["anchor_reading", "riott_direction_changes"]
    assert not depends.loc["sigma_provide", "pooled_conclusion_changes"]
    assert not depends.loc["sigma_provide", "riott_direction_changes"]  # 0.1 and 0.25: both < 1
    assert depends.loc["rho", "pooled_p_benefit_min"] == 0.84
    sentence = text.depends_sentence(depends.reset_index(), riott)
    assert 'changes side of 1 with the reading of "an extra 43%"' in sentence
    assert 'reaches 0.95 depends on the reading of "an extra 43%"' in sentence
    assert "(sigma_provide)" in sentence.split(";")[-1]
