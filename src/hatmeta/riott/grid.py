"""The cells of the RIOTT sensitivity analysis beyond the named scenarios, and their batches.

Three families of cells, each a complete set of assumptions:

* ``heatmap``: the oral-methadone arm's missing share x its IMOR, the heroin arm held at each of
  ``tipping.heroin_scenarios`` (the tipping heatmaps);
* ``tipping``: for each heroin-arm scenario, each reading of "an extra 43%" and each heroin-arm
  missing share in ``ranges``, the oral-methadone IMOR along ``tipping.imor_methadone``, its
  missing share following from the reading (the tipping points);
* ``structural``: every combination of the structural assumptions in ``ranges``
  (``sigma_provide``, ``rho``, heroin missing share, reading) at the IMORs of
  ``ranges.scenario`` (what the conclusion depends on).

Light on purpose (no SciPy, no pandas): Snakemake imports it to build the DAG, in every run and in
every cluster job.
"""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from hatmeta.riott.settings import RiottSettings, Scenario

if TYPE_CHECKING:
    import pandas as pd

FAMILIES = ("heatmap", "tipping", "structural")


class Cell(NamedTuple):
    """One computed set of assumptions: its family, the named scenario it is anchored at, and
    its scenario (every field set but, when the reading fixes it, the methadone share)."""

    family: str
    anchor: str
    scenario: Scenario


def methadone_shares(riott: RiottSettings) -> list[float]:
    """The oral-methadone missing shares of the heatmaps."""
    tipping = riott.tipping
    return [
        round(float(s), 6)
        for s in np.linspace(tipping.share_from, tipping.share_to, tipping.share_steps)
    ]


def _name(family: str, anchor: str, s: Scenario) -> str:
    methadone = s.anchor_reading if s.missing_share_methadone is None else s.missing_share_methadone
    return (
        f"{family}:{anchor}:h{s.missing_share_heroin:g}:m{methadone}:"
        f"s{s.sigma_provide:g}:r{s.rho:g}:{s.imor_heroin:g}/{s.imor_methadone:g}"
    )


def _cell(family: str, anchor: str, s: Scenario) -> Cell:
    return Cell(family, anchor, s._replace(name=_name(family, anchor, s)))


def cells(riott: RiottSettings) -> list[Cell]:
    """Every cell of the three families, in a fixed order (see the module docstring)."""
    tipping, ranges = riott.tipping, riott.ranges
    out = []
    for anchor in tipping.heroin_scenarios:
        held = riott.resolved(riott.scenarios[anchor])
        for share, imor in product(methadone_shares(riott), tipping.imor_methadone):
            cell = held._replace(imor_methadone=imor, missing_share_methadone=share)
            out.append(_cell("heatmap", anchor, cell))
    for anchor in tipping.heroin_scenarios:
        held = riott.resolved(riott.scenarios[anchor])
        for reading, share, imor in product(
            ranges.anchor_reading, ranges.missing_share_heroin, tipping.imor_methadone
        ):
            cell = held._replace(
                imor_methadone=imor,
                missing_share_heroin=share,
                missing_share_methadone=None,
                anchor_reading=reading,
            )
            out.append(_cell("tipping", anchor, cell))
    at = riott.resolved(riott.scenarios[ranges.scenario])
    for sigma, rho, share, reading in product(
        ranges.sigma_provide, ranges.rho, ranges.missing_share_heroin, ranges.anchor_reading
    ):
        cell = at._replace(
            sigma_provide=sigma,
            rho=rho,
            missing_share_heroin=share,
            missing_share_methadone=None,
            anchor_reading=reading,
        )
        out.append(_cell("structural", ranges.scenario, cell))
    return out


def batches(riott: RiottSettings) -> list[list[Cell]]:
    """The cells cut into consecutive batches of at most ``tipping.cells_per_job``: one batch per
    workflow job, so that many cells do not become one job (one start-up) each."""
    size = riott.tipping.cells_per_job
    if size < 1:
        raise ValueError(f"cells_per_job must be at least 1, got {size}")
    every = cells(riott)
    return [every[start : start + size] for start in range(0, len(every), size)]


def read_batches(batches: dict[str, str | Path]) -> pd.DataFrame:
    """Batch files keyed by batch number joined in batch order: the result does not depend on
    the batch size."""
    import pandas as pd

    ordered = sorted(batches.items(), key=lambda item: int(item[0]))
    return pd.concat([pd.read_csv(path) for _, path in ordered], ignore_index=True)
