"""The tipping grid's cells and batches: every cell once, in order, whatever the batch size."""

from __future__ import annotations

import pytest
from riott_data import DESIGN, MAR, PUBLISHED, SMALL_GRID

from hatmeta.riott.grid import read_grid_batches, tipping_batches, tipping_cells
from hatmeta.riott.scenarios import tipping_grid


def test_tipping_batches_cover_every_cell_once_in_order():
    tipping = SMALL_GRID.tipping
    cells = tipping_cells(tipping)
    assert cells[:4] == [(0.2, 0.0), (0.2, 1.0), (0.2, 4.0), (0.35, 0.0)]
    batches = tipping_batches(tipping._replace(cells_per_job=4))
    assert [len(batch) for batch in batches] == [4, 4, 1]
    assert [cell for batch in batches for cell in batch] == cells
    assert tipping_batches(tipping._replace(cells_per_job=100)) == [cells]
    with pytest.raises(ValueError, match="cells_per_job must be at least 1"):
        tipping_batches(tipping._replace(cells_per_job=0))


def test_batched_grid_files_join_into_the_unbatched_grid(tmp_path):
    riott = SMALL_GRID._replace(tipping=SMALL_GRID.tipping._replace(share_steps=4))
    whole = tipping_grid(riott, MAR, PUBLISHED, DESIGN)
    batches = tipping_batches(riott.tipping._replace(cells_per_job=1))
    assert len(batches) == 12
    paths = {}
    # Written in reverse: the order must come from the batch number, not the file order.
    for index in reversed(range(len(batches))):
        path = tmp_path / "mar" / f"cells_{index}.csv"
        path.parent.mkdir(exist_ok=True)
        tipping_grid(riott, MAR, PUBLISHED, DESIGN, cells=batches[index]).to_csv(path, index=False)
        paths[("mar", str(index))] = path
    joined = read_grid_batches(paths)
    assert list(joined) == ["mar"]
    assert joined["mar"].to_csv(index=False) == whole.to_csv(index=False)
