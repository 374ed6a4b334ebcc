"""The tipping-point map: what it shows, checked against the cells it is drawn from.

The crossings are recomputed here from the cells, independently of
:func:`hatmeta.riott.propagation.tipping_imor`: a walk along each row's compatible cells and the
straight line through the two cells on either side of the first crossing.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hatmeta.plots import save
from hatmeta.riott.figures import (
    MAP_COLOURS,
    POOLED_COLOURS,
    RIOTT_COLOURS,
    STAR,
    UNUSABLE,
    tipping_map,
    tipping_map_data,
)

IMORS = [0.0, 0.5, 1.0, 2.0]
CHOICE = {
    "missing_share_heroin": 0.15,
    "anchor_reading": "percentage_points",
    "imor_methadone": {"mar": 1.0, "mp": 0.0},
}


def crossing(cells: pd.DataFrame, column: str, threshold: float) -> float:
    """The first IMOR at which ``column`` is at or below ``threshold``, compatible cells only,
    on the straight line between the cells either side; NaN if none."""
    previous = None
    for _, cell in cells.sort_values("imor_methadone").iterrows():
        if not cell["usable"]:
            continue
        x, y = float(cell["imor_methadone"]), float(cell[column])
        if y <= threshold:
            if previous is None:
                return x
            x0, y0 = previous
            return x0 + (x - x0) * (y0 - threshold) / (y0 - y)
        previous = (x, y)
    return math.nan


def row(anchor, reading, share, p_benefit, lower, usable=(True,) * 4):
    return pd.DataFrame(
        {
            "family": "tipping",
            "anchor": anchor,
            "anchor_reading": reading,
            "missing_share_heroin": share,
            "missing_share_methadone": share + 0.43,
            "imor_methadone": IMORS,
            "pooled_p_benefit": p_benefit,
            "riott_or_lower": lower,
            "usable": usable,
            "reason": ["" if u else "ceiling below 11/42" for u in usable],
        }
    )


@pytest.fixture
def cells():
    heatmap = row("mar", "percentage_points", 0.15, [0.1] * 4, [0.1] * 4).assign(family="heatmap")
    return pd.concat(
        [
            heatmap,  # another family: not on the map
            row("mar", "percentage_points", 0.05, [0.99, 0.97, 0.9, 0.5], [3.0, 2.0, 0.8, 0.5]),
            # an incompatible cell in the middle: skipped by the crossing, kept on the map
            row(
                "mar",
                "percentage_points",
                0.15,
                [0.99, 0.2, 0.96, 0.5],
                [3.0, 2.5, 1.5, 0.5],
                usable=(True, False, True, True),
            ),
            row("mar", "relative", 0.15, [0.99] * 4, [2.0] * 4),  # never crosses
            row("mp", "percentage_points", 0.15, [0.9] * 4, [0.5] * 4),  # across from the start
            row("mp", "relative", 0.15, [0.99] * 4, [2.0] * 4, usable=(False,) * 4),
        ],
        ignore_index=True,
    )


def test_the_map_shows_the_crossings_of_its_cells(cells):
    data = tipping_map_data(cells, 0.95, CHOICE)
    tipping = cells[cells["family"] == "tipping"]
    groups = list(tipping.groupby(["anchor", "anchor_reading", "missing_share_heroin"], sort=False))
    assert len(data.rows) == len(groups) == 5
    for (key, curve), (_, shown) in zip(groups, data.rows.iterrows(), strict=True):
        assert (
            shown["heroin_scenario"],
            shown["anchor_reading"],
            shown["missing_share_heroin"],
        ) == key
        for column, value in (
            ("imor_pooled_loses_benefit", crossing(curve, "pooled_p_benefit", 0.95)),
            ("imor_riott_ci_includes_1", crossing(curve, "riott_or_lower", 1.0)),
        ):
            if math.isnan(value):
                assert math.isnan(shown[column]), (key, column)
            else:
                assert shown[column] == pytest.approx(value, abs=1e-12), (key, column)
    # the numbers behind it, by hand: 0.5 + 0.5 * (0.97 - 0.95) / (0.97 - 0.9); the
    # incompatible cell at 0.5 is passed over (1 + 1 * 0.01 / 0.46, not a crossing at 0.5)
    assert data.rows.loc[0, "imor_pooled_loses_benefit"] == pytest.approx(0.5 + 0.5 * 2 / 7)
    assert data.rows.loc[1, "imor_pooled_loses_benefit"] == pytest.approx(1 + 0.01 / 0.46)
    assert data.rows.loc[3, "imor_pooled_loses_benefit"] == 0.0
    # the configured reading and heroin share, under each heroin-arm scenario
    assert data.rows["default"].tolist() == [False, True, False, True, False]
    assert data.rows["current_imor"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_incompatible_cells_are_on_the_map_not_dropped(cells):
    data = tipping_map_data(cells, 0.95, CHOICE)
    assert len(data.cells) == (cells["family"] == "tipping").sum() == 20
    assert (~data.cells["usable"]).sum() == 5
    # each cell's state is its own row of the table
    tipping = cells[cells["family"] == "tipping"].reset_index(drop=True)
    assert data.cells["pooled_holds"].tolist() == (tipping["pooled_p_benefit"] >= 0.95).tolist()
    assert data.cells["riott_above_1"].tolist() == (tipping["riott_or_lower"] > 1).tolist()
    figure = tipping_map(data)
    patches = [p for ax in figure.axes for p in ax.patches]
    hatched = [p for p in patches if p.get_hatch() == "//"]
    assert len(hatched) == 5  # one hatched box per incompatible cell
    assert len(patches) - len(hatched) - 2 == 2 * 15  # two halves per usable cell, two frames
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert texts.count("incompatible") == 1 and "none" in texts
    assert f"{data.rows.loc[0, 'imor_pooled_loses_benefit']:.2g}" in texts
    plt.close(figure)


def test_the_map_with_a_palette_is_the_same_picture(cells, tmp_path):
    """The map is stored with a palette of MAP_COLOURS: a fraction of the bytes, every pixel
    within a few levels of the full-colour PNG, and each of its colours kept."""
    from PIL import Image

    data = tipping_map_data(cells, 0.95, CHOICE)
    save(tipping_map(data), tmp_path / "full.png", palette=None)
    save(tipping_map(data), tmp_path / "palette.png", palette=MAP_COLOURS)
    full, small = (
        np.asarray(Image.open(tmp_path / name).convert("RGB")).astype(int)
        for name in ("full.png", "palette.png")
    )
    assert full.shape == small.shape
    difference = np.abs(full - small).max(axis=2)
    assert difference.mean() < 2 and np.percentile(difference, 99) <= 12, difference.mean()
    assert (tmp_path / "palette.png").stat().st_size < 0.6 * (tmp_path / "full.png").stat().st_size
    found = small.reshape(-1, 3)
    for colour in (*RIOTT_COLOURS, *POOLED_COLOURS, UNUSABLE, STAR):
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.abs(found - rgb).max(axis=1).min() <= 6, colour


@pytest.mark.workflow
def test_the_map_of_the_workflows_cells(small_run):
    """The workflow's own cells.csv: every row's crossings as recomputed here, every cell on
    the map, and the map written by the figures rule."""
    from hatmeta.config import load_settings

    results = small_run / "results"
    cells = pd.read_csv(results / "sensitivity/cells.csv")
    # the config the run used (the project's and the small override), as the notebooks read it
    settings = load_settings(results / "notebooks/riott_sensitivity.config.yaml")
    threshold = settings.riott.tipping.benefit_probability
    data = tipping_map_data(cells, threshold, settings.riott.default_choice())
    tipping = cells[cells["family"] == "tipping"]
    assert len(data.cells) == len(tipping) and data.cells["usable"].sum() == tipping["usable"].sum()
    groups = tipping.groupby(["anchor", "anchor_reading", "missing_share_heroin"], sort=False)
    for (_, curve), (_, shown) in zip(groups, data.rows.iterrows(), strict=True):
        for column, value in (
            ("imor_pooled_loses_benefit", crossing(curve, "pooled_p_benefit", threshold)),
            ("imor_riott_ci_includes_1", crossing(curve, "riott_or_lower", 1.0)),
        ):
            assert np.isnan(value) == np.isnan(shown[column])
            if not np.isnan(value):
                assert shown[column] == pytest.approx(value, abs=1e-9)
    points = pd.read_csv(results / "sensitivity/tipping_points.csv")
    assert np.allclose(
        points["imor_pooled_loses_benefit"], data.rows["imor_pooled_loses_benefit"], equal_nan=True
    )
    assert data.rows["default"].sum() == len(settings.riott.tipping.heroin_scenarios)
    assert (results / "figures/sensitivity/tipping_map.png").stat().st_size > 0
