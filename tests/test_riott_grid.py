"""The sensitivity cells and their batches: every cell once, in order, whatever the batch size."""

from __future__ import annotations

import pytest
from riott_data import INPUTS, SMALL_GRID

from hatmeta.riott import scenarios
from hatmeta.riott.grid import batches, cells, read_batches


def test_three_families_cover_every_combination():
    every = cells(SMALL_GRID)
    families = [c.family for c in every]
    tipping, ranges = SMALL_GRID.tipping, SMALL_GRID.ranges
    n_imor = len(tipping.imor_methadone)
    assert families.count("heatmap") == len(tipping.heroin_scenarios) * tipping.share_steps * n_imor
    assert families.count("tipping") == (
        len(tipping.heroin_scenarios)
        * len(ranges.anchor_reading)
        * len(ranges.missing_share_heroin)
        * n_imor
    )
    assert families.count("structural") == (
        len(ranges.sigma_provide)
        * len(ranges.rho)
        * len(ranges.missing_share_heroin)
        * len(ranges.anchor_reading)
    )
    names = [c.scenario.name for c in every]
    assert len(set(names)) == len(names)
    structural = [c.scenario for c in every if c.family == "structural"]
    at = SMALL_GRID.scenarios[ranges.scenario]
    assert {(s.imor_heroin, s.imor_methadone) for s in structural} == {
        (at.imor_heroin, at.imor_methadone)
    }
    assert all(s.missing_share_methadone is None for s in structural)


def test_batches_cover_every_cell_once_in_order():
    every = cells(SMALL_GRID)
    cut = batches(SMALL_GRID._replace(tipping=SMALL_GRID.tipping._replace(cells_per_job=7)))
    assert [len(b) for b in cut[:-1]] == [7] * (len(cut) - 1) and 0 < len(cut[-1]) <= 7
    assert [c for b in cut for c in b] == every
    with pytest.raises(ValueError, match="cells_per_job must be at least 1"):
        batches(SMALL_GRID._replace(tipping=SMALL_GRID.tipping._replace(cells_per_job=0)))


def test_batched_cell_files_join_into_the_unbatched_table(tmp_path):
    riott = SMALL_GRID._replace(cell_draws=1000)
    whole = cells(riott)
    expected = scenarios.cells_frame(
        whole, scenarios.run(riott, [c.scenario for c in whole], INPUTS, 1000), INPUTS
    )
    cut = batches(riott._replace(tipping=riott.tipping._replace(cells_per_job=9)))
    paths = {}
    # Written in reverse: the order must come from the batch number, not the file order.
    for index in reversed(range(len(cut))):
        part = cut[index]
        results = scenarios.run(riott, [c.scenario for c in part], INPUTS, 1000)
        path = tmp_path / f"cells_{index}.csv"
        scenarios.cells_frame(part, results, INPUTS).to_csv(path, index=False)
        paths[str(index)] = path
    joined = read_batches(paths)
    whole_path = tmp_path / "whole.csv"
    expected.to_csv(whole_path, index=False)
    assert joined.to_csv(index=False) == read_batches({"0": whole_path}).to_csv(index=False)
