"""The RIOTT tipping grid's cells and their batches.

Light on purpose (NumPy only): Snakemake imports it to build the DAG, in every run and in every
cluster job, so it must not pull in SciPy or pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

Cell = tuple[float, float]


def tipping_cells(spec: Mapping[str, Any]) -> list[Cell]:
    """Every (oral-methadone missing share, oral-methadone IMOR) cell of the tipping grid, in
    the order the grid tables list them."""
    shares = np.linspace(
        spec["missing_share_methadone"]["from"],
        spec["missing_share_methadone"]["to"],
        spec["missing_share_methadone"]["steps"],
    )
    return [(float(share), float(imor)) for share in shares for imor in spec["imor_methadone"]]


def tipping_batches(spec: Mapping[str, Any], cells_per_job: int) -> list[list[Cell]]:
    """The grid's cells cut into consecutive batches of at most ``cells_per_job``: one batch per
    workflow job, so a dense grid does not become one job per cell."""
    if cells_per_job < 1:
        raise ValueError(f"cells_per_job must be at least 1, got {cells_per_job}")
    cells = tipping_cells(spec)
    return [cells[start : start + cells_per_job] for start in range(0, len(cells), cells_per_job)]


def read_grid_batches(paths: Iterable[str | Path]) -> dict[str, pd.DataFrame]:
    """Batch files (``.../{heroin}/cells_{batch}.csv``) joined into one grid per heroin-arm
    scenario, in cell order: the result does not depend on the batch size."""
    import pandas as pd

    batches: dict[str, list[tuple[int, pd.DataFrame]]] = {}
    for path in map(Path, paths):
        index = int(path.stem.removeprefix("cells_"))
        batches.setdefault(path.parent.name, []).append((index, pd.read_csv(path)))
    return {
        heroin: pd.concat([frame for _, frame in sorted(parts)], ignore_index=True)
        for heroin, parts in batches.items()
    }
