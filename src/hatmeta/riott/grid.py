"""The RIOTT tipping grid's cells and their batches.

Light on purpose (NumPy only): Snakemake imports it to build the DAG, in every run and in every
cluster job, so it must not pull in SciPy or pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from hatmeta.riott.settings import Tipping

Cell = tuple[float, float]


def tipping_cells(tipping: Tipping) -> list[Cell]:
    """Every (oral-methadone missing share, oral-methadone IMOR) cell of the tipping grid, in
    the order the grid tables list them."""
    shares = np.linspace(tipping.share_from, tipping.share_to, tipping.share_steps)
    return [(float(share), float(imor)) for share in shares for imor in tipping.imor_methadone]


def tipping_batches(tipping: Tipping) -> list[list[Cell]]:
    """The grid's cells cut into consecutive batches of at most ``cells_per_job``: one batch per
    workflow job, so a dense grid does not become one job per cell."""
    cells_per_job = tipping.cells_per_job
    if cells_per_job < 1:
        raise ValueError(f"cells_per_job must be at least 1, got {cells_per_job}")
    cells = tipping_cells(tipping)
    return [cells[start : start + cells_per_job] for start in range(0, len(cells), cells_per_job)]


def read_grid_batches(
    batches: dict[tuple[str, str], str | Path],
) -> dict[str, pd.DataFrame]:
    """Batch files keyed by ``(heroin scenario, batch number)`` joined into one grid per
    heroin-arm scenario, in cell order: the result does not depend on the batch size."""
    import pandas as pd

    by_heroin: dict[str, list[tuple[int, pd.DataFrame]]] = {}
    for (heroin, batch), path in batches.items():
        by_heroin.setdefault(heroin, []).append((int(batch), pd.read_csv(path)))
    return {
        heroin: pd.concat(
            [frame for _, frame in sorted(parts, key=lambda part: part[0])], ignore_index=True
        )
        for heroin, parts in by_heroin.items()
    }
