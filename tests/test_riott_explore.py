"""A reviewer's own scenario off the grid (the RIOTT notebook's): assumptions, controls, speed.

That its pooled answer, through the bank, matches brute-force MCMC refits is tested with the
bank itself: tests/test_riott_propagation.py (an off-grid scenario among the named ones).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from riott_data import INPUTS, RIOTT
from scipy import stats

from hatmeta.riott import explore, scenarios
from hatmeta.riott.bank import Bank


def synthetic_bank() -> Bank:
    """A bank shaped like the workflow's (every feasible pair, 501-point grids), with normal
    posteriors whose location follows the pair: enough to time an answer and check shapes."""
    pairs = np.array([(t, c) for t in range(31, 44) for c in range(11, 43)])
    x = np.linspace(-10, 10, 501)
    shift = (pairs[:, 0] - 31) / 12 - (pairs[:, 1] - 11) / 31
    cdf = stats.norm.cdf(x[None, :], loc=0.8 + shift[:, None], scale=0.5)
    cdf[:, 0], cdf[:, -1] = 0.0, 1.0
    return Bank(pairs, x, cdf, x.copy(), cdf.copy())


BANK = synthetic_bank()


def test_your_scenario_takes_a_reading_or_a_share():
    by_reading = explore.your_scenario(0.5, 2, 0.12, "relative")
    assert by_reading.anchor_reading == "relative" and by_reading.missing_share_methadone is None
    given = explore.your_scenario(0.5, 2, 0.12, 0.4)
    assert given.missing_share_methadone == 0.4 and given.anchor_reading is None
    default = explore.your_scenario(1, 1, 0.15)
    assert RIOTT.resolved(default).anchor_reading == RIOTT.anchor_reading
    assert default.name == explore.NAME


def test_the_answer_has_the_columns_of_the_named_scenarios_table():
    row = explore.answer(RIOTT, explore.your_scenario(0.7, 1.3, 0.11), INPUTS, BANK, True)
    assert len(row) == 1 and row.loc[0, "scenario"] == explore.NAME
    assert row.loc[0, "missing_share_methadone"] == pytest.approx(0.11 + 0.43)
    for column in ("riott_or_median", "pooled_or_lower", "pooled_p_benefit", "usable"):
        assert column in row
    shown = explore.readable(row)
    assert list(shown.columns) == explore.READABLE and list(shown.index) == [explore.NAME]


def test_an_off_grid_answer_takes_well_under_a_second_of_cpu():
    """Each answer has new missing shares, so both arm posteriors are fitted afresh (a new IMOR
    alone reuses them and costs a tenth of that). The least of three: a busy machine slows a
    run, never speeds one up. Measured here: about 0.4 s (0.05 s for a new IMOR)."""
    explore.answer(RIOTT, explore.your_scenario(1, 1, 0.15), INPUTS, BANK, True)  # imports
    seconds = []
    for share, methadone in ((0.11, 0.31), (0.13, 0.33), (0.17, 0.37)):
        scenario = explore.your_scenario(0.8, 0.6, share, methadone)
        start = time.process_time()
        explore.answer(RIOTT, scenario, INPUTS, BANK, True)
        seconds.append(time.process_time() - start)
    assert min(seconds) < 1.0, seconds


def test_controls_ask_with_the_scenario_they_show():
    asked = []

    def ask(scenario):
        asked.append(scenario)
        frame = scenarios.frame(scenarios.run(RIOTT, [scenario], INPUTS, 200), INPUTS)
        return frame

    initial = explore.your_scenario(1, 1, 0.15)
    box = explore.controls(RIOTT, initial, ask)
    imor_heroin, imor_methadone, share_heroin, methadone, share_methadone, _ = box.children
    assert RIOTT.resolved(asked[-1]) == RIOTT.resolved(initial) and share_methadone.disabled
    imor_methadone.value = "0.37"
    assert asked[-1].imor_methadone == 0.37 and asked[-1].imor_heroin == 1.0
    imor_heroin.value = "inf"
    assert asked[-1].imor_heroin == np.inf
    methadone.value = "relative"
    assert asked[-1].anchor_reading == "relative"
    methadone.value = explore.EXPLICIT
    assert not share_methadone.disabled
    share_methadone.value = 0.42
    assert asked[-1].missing_share_methadone == 0.42
    share_heroin.value = 0.2
    assert asked[-1].missing_share_heroin == 0.2 and asked[-1].missing_share_methadone == 0.42
    count = len(asked)
    imor_heroin.value = "-1"  # not an IMOR: said, and nothing asked
    assert len(asked) == count


def test_formatted_tables_are_the_reports():
    points = pd.DataFrame(
        [{"heroin_scenario": "mar", "anchor_reading": "relative", "imor_pooled_loses_benefit": 0.5}]
    )
    shown = explore.formatted(points, {"heroin_scenario": "Heroin arm at"}, index=2)
    assert shown.index.names == ["Heroin arm at", "anchor_reading"]
    assert shown.iloc[0, 0] == "0.5"
