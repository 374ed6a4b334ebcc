"""Figures of the RIOTT sensitivity analysis: tipping heatmaps, the results along IMOR and the
tipping-point map.

Cells whose assumptions are impossible or incompatible with the published counts are drawn
hatched grey, never coloured as results. Compositions (what to draw, from the tables) and
drawings (matplotlib) are separate functions, so that a test can check what a figure shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import offset_copy

from hatmeta.plots import STYLE
from hatmeta.riott.propagation import tipping_points

#: Odds ratios are drawn within these limits; beyond them the axis says "clipped".
OR_LIMITS = (1e-3, 1e3)
UNUSABLE = "#bdbdbd"


def tipping_heatmap(
    grid: pd.DataFrame, *, value: str, threshold: float, title: str, colorbar_label: str
) -> Figure:
    """``value`` over (oral-methadone missing share, IMOR), with the ``threshold`` contour drawn
    through the usable cells and the unusable cells hatched."""
    shares = np.sort(grid["missing_share_methadone"].unique())
    imors = np.sort(grid["imor_methadone"].unique())

    def pivot(column):
        table = grid.pivot(index="imor_methadone", columns="missing_share_methadone", values=column)
        return table.loc[imors, shares].to_numpy()

    usable = pivot("usable").astype(bool)
    z = np.where(usable, pivot(value).astype(float), np.nan)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 4.4))
        xi, yi = np.arange(len(shares)), np.arange(len(imors))
        for row, column in zip(*np.nonzero(~usable), strict=True):
            ax.add_patch(
                Rectangle(
                    (column - 0.5, row - 0.5),
                    1,
                    1,
                    facecolor=UNUSABLE,
                    hatch="//",
                    edgecolor="white",
                    linewidth=0,
                )
            )
        mesh = ax.pcolormesh(
            xi, yi, np.ma.masked_invalid(z), shading="nearest", cmap="RdBu", vmin=0, vmax=1
        )
        fig.colorbar(mesh, ax=ax).set_label(colorbar_label)
        if np.isfinite(z).any() and np.nanmin(z) < threshold < np.nanmax(z):
            contour = ax.contour(xi, yi, z, levels=[threshold], colors="black", linewidths=1.6)
            ax.clabel(contour, fmt={threshold: f"{threshold:g}"}, fontsize=7)
        ax.set_xticks(xi, [f"{s:.2f}" for s in shares], rotation=45)
        ax.set_yticks(yi, [f"{v:g}" for v in imors])
        ax.set_xlabel("Share of tests missed by the oral-methadone arm")
        ax.set_ylabel(
            "IMOR of missing tests, oral-methadone arm\n(0 = counted positive, 1 = at random)"
        )
        if not usable.all():
            ax.legend(
                handles=[Patch(facecolor=UNUSABLE, hatch="//", label="incompatible or impossible")],
                loc="upper left",
                bbox_to_anchor=(0, -0.22),
                frameon=False,
                fontsize=7,
            )
        ax.set_title(title, loc="left")
        return fig


def _imor_axis(ax, x_max: float) -> None:
    ax.set_xscale("symlog", linthresh=0.1, linscale=0.5)
    ax.set_xlim(0, x_max)
    ax.xaxis.set_major_locator(
        FixedLocator([t for t in (0, 0.1, 0.25, 0.5, 1, 2, 4, 10) if t <= x_max])
    )
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("IMOR of missing tests, oral-methadone arm")


def tipping_curves(curves: dict[str, pd.DataFrame], benefit_probability: float) -> Figure:
    """RIOTT's OR (median and 95% CrI, from the imputation mixture) and the pooled P(benefit)
    along the oral-methadone IMOR, one line per curve; unusable cells are left out of the lines
    and marked with crosses on the axis."""
    x_max = max(float(c["imor_methadone"].max()) for c in curves.values())
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, len(curves)))
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
        clipped = False
        for (name, curve), colour in zip(curves.items(), colours, strict=True):
            curve = curve.sort_values("imor_methadone")
            ok = curve["usable"].astype(bool).to_numpy()
            x = curve["imor_methadone"].to_numpy()
            ratios = curve[["riott_or_median", "riott_or_lower", "riott_or_upper"]].to_numpy(float)
            clipped |= bool(np.any((ratios[ok] < OR_LIMITS[0]) | (ratios[ok] > OR_LIMITS[1])))
            ratios = np.clip(ratios, *OR_LIMITS)
            left.plot(x[ok], ratios[ok, 0], color=colour, lw=1.6, label=name)
            left.fill_between(x[ok], ratios[ok, 1], ratios[ok, 2], color=colour, alpha=0.15)
            right.plot(x[ok], curve["pooled_p_benefit"].to_numpy()[ok], color=colour, lw=1.6)
            for ax, y in ((left, OR_LIMITS[0]), (right, 0.0)):
                ax.plot(x[~ok], np.full((~ok).sum(), y), "x", color=colour, clip_on=False)
        left.set_yscale("log")
        left.set_ylim(*OR_LIMITS)
        left.axhline(1.0, color="black", lw=0.8)
        left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        left.set_ylabel("RIOTT odds ratio of response, log scale")
        if clipped:
            left.text(
                0.01,
                0.01,
                f"clipped at {OR_LIMITS[0]:g} and {OR_LIMITS[1]:g}",
                transform=left.transAxes,
                fontsize=7,
                color="#555555",
            )
        right.axhline(benefit_probability, color="black", lw=0.8, ls="--")
        right.set_ylim(0, 1)
        right.set_ylabel("Pooled P(benefit)")
        for ax in (left, right):
            _imor_axis(ax, x_max)
        left.set_title("RIOTT alone", loc="left")
        right.set_title("Pooled illicit heroin use (x: incompatible)", loc="left")
        fig.legend(
            frameon=False, fontsize=7, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.12)
        )
        return fig


class TippingMap(NamedTuple):
    """What the tipping-point map shows.

    ``rows``: one per heroin-arm scenario, reading and heroin missing share (the rows of the
    tipping-point table, :func:`hatmeta.riott.propagation.tipping_points`), with ``default``
    (the configured reading and heroin share) and ``current_imor`` (the heroin-arm scenario's
    own oral-methadone IMOR). ``cells``: one per cell, its ``row``, ``imor_methadone``,
    ``usable``, ``riott_above_1`` (RIOTT's 95% CrI above 1) and ``pooled_holds`` (pooled
    P(benefit) at or above the threshold); unusable cells are kept.
    """

    rows: pd.DataFrame
    cells: pd.DataFrame
    imors: tuple[float, ...]
    benefit_probability: float


def tipping_map_data(
    cells: pd.DataFrame, benefit_probability: float, choice: Mapping[str, Any]
) -> TippingMap:
    """The tipping-point map of the ``tipping`` cells; ``choice``: the configured default
    (:meth:`hatmeta.riott.settings.RiottSettings.default_choice`)."""
    tipping = cells[cells["family"] == "tipping"]
    rows = tipping_points(tipping, benefit_probability)
    rows["default"] = np.isclose(rows["missing_share_heroin"], choice["missing_share_heroin"]) & (
        rows["anchor_reading"] == choice["anchor_reading"]
    )
    rows["current_imor"] = [
        choice["imor_methadone"].get(a, np.nan) for a in rows["heroin_scenario"]
    ]
    keys = ["anchor", "anchor_reading", "missing_share_heroin"]
    parts = []
    for row, (_, curve) in enumerate(tipping.groupby(keys, sort=False)):
        parts.append(
            pd.DataFrame(
                {
                    "row": row,
                    "imor_methadone": curve["imor_methadone"].to_numpy(float),
                    "usable": curve["usable"].astype(bool).to_numpy(),
                    "riott_above_1": curve["riott_or_lower"].to_numpy(float) > 1,
                    "pooled_holds": curve["pooled_p_benefit"].to_numpy(float)
                    >= benefit_probability,
                }
            )
        )
    imors = tuple(sorted(tipping["imor_methadone"].astype(float).unique()))
    return TippingMap(rows, pd.concat(parts, ignore_index=True), imors, benefit_probability)


#: The map is flat colours: stored with a palette of this many (:func:`hatmeta.plots.save`).
MAP_COLOURS = 64
#: Colours of the map's half-strips: (result holds, result lost).
RIOTT_COLOURS = ("#2166ac", "#d1e5f0")
POOLED_COLOURS = ("#1b7837", "#d9f0d3")
#: The star on the configured choice.
STAR = "#fdb863"


def _grid_position(imors: np.ndarray, value: float) -> float:
    """``value`` on the map's x-axis, where grid IMOR ``k`` sits at ``k`` (linear between)."""
    return float(np.interp(value, imors, np.arange(len(imors))))


def _crossing_text(value: float) -> str:
    return "none" if np.isnan(value) else f"{value:.2g}"


def _draw_row(ax, y: float, row: pd.Series, cells: pd.DataFrame, imors: np.ndarray) -> None:
    for cell in cells.itertuples():
        x = _grid_position(imors, cell.imor_methadone) - 0.5
        if not cell.usable:
            ax.add_patch(
                Rectangle((x, y + 0.05), 1, 0.9, facecolor=UNUSABLE, hatch="//", edgecolor="white")
            )
            continue
        for bottom, holds, colours in (
            (y + 0.5, cell.riott_above_1, RIOTT_COLOURS),
            (y + 0.05, cell.pooled_holds, POOLED_COLOURS),
        ):
            colour = colours[0] if holds else colours[1]
            ax.add_patch(Rectangle((x, bottom), 1, 0.45, facecolor=colour, edgecolor="white"))
    for column, bottom in (("imor_riott_ci_includes_1", 0.5), ("imor_pooled_loses_benefit", 0.05)):
        if not np.isnan(row[column]):
            x = _grid_position(imors, row[column])
            ax.plot([x, x], [y + bottom, y + bottom + 0.45], color="black", lw=2.4)
    if row["default"]:
        ax.add_patch(Rectangle((-0.5, y), len(imors), 1, fill=False, edgecolor="black", lw=1.4))
        if not np.isnan(row["current_imor"]) and row["current_imor"] <= imors[-1]:
            ax.plot(
                _grid_position(imors, row["current_imor"]),
                y + 0.5,
                marker="*",
                ms=11,
                color=STAR,
                markeredgecolor="black",
                zorder=5,
            )
    label = (
        f"{row['anchor_reading'].replace('_', ' ')}: {row['missing_share_heroin']:.0%} / "
        f"{row['missing_share_methadone']:.0%}"
    )
    ax.text(
        -0.6,
        y + 0.5,
        label,
        ha="right",
        va="center",
        fontsize=7.5,
        fontweight="bold" if row["default"] else "normal",
    )
    right = len(imors) - 0.35
    if row["unusable_cells"] == row["cells"]:
        ax.text(right, y + 0.5, "incompatible", ha="left", va="center", fontsize=7.5)
        return
    for offset, column in ((0, "imor_riott_ci_includes_1"), (1, "imor_pooled_loses_benefit")):
        ax.text(
            right + offset,
            y + 0.5,
            _crossing_text(row[column]),
            ha="left",
            va="center",
            fontsize=7.5,
        )


def tipping_map(data: TippingMap) -> Figure:
    """Per heroin-arm scenario (a panel), reading and heroin missing share (a row): along the
    oral-methadone IMOR grid, whether RIOTT's 95% CrI lies above 1 (upper half of each cell) and
    whether the pooled P(benefit) reaches the threshold (lower half), the interpolated tipping
    points as black bars, unusable cells hatched, the configured default framed and starred."""
    imors = np.asarray(data.imors)
    groups = list(dict.fromkeys(data.rows["heroin_scenario"]))
    counts = [int((data.rows["heroin_scenario"] == g).sum()) for g in groups]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(groups),
            1,
            figsize=(8.6, 0.42 * sum(counts) + 1.1 * len(groups) + 0.9),
            sharex=True,
            squeeze=False,
            gridspec_kw={"height_ratios": counts},
        )
        for ax, group in zip(axes[:, 0], groups, strict=True):
            members = data.rows[data.rows["heroin_scenario"] == group]
            for y, (index, row) in enumerate(members.iloc[::-1].iterrows()):
                _draw_row(ax, y, row, data.cells[data.cells["row"] == index], imors)
            ax.set_xlim(-0.5, len(imors) - 0.5)
            ax.set_ylim(0, len(members))
            ax.set_yticks([])
            ax.spines[["left", "top", "right"]].set_visible(False)
            ax.set_title(f"Heroin arm at '{group}'", loc="left")
            headers = (
                (-0.6, "right", "reading: missed tests heroin / oral methadone"),
                (len(imors) - 0.35, "left", "RIOTT"),
                (len(imors) + 0.65, "left", "pooled"),
            )
            for x, align, header in headers:
                ax.text(
                    x,
                    len(members) + 0.1,
                    header,
                    ha=align,
                    va="bottom",
                    fontsize=7,
                    color="#555555",
                )
        bottom = axes[-1, 0]
        bottom.set_xticks(np.arange(len(imors)), [f"{v:g}" for v in imors])
        bottom.set_xlabel("IMOR of missing tests, oral-methadone arm (grid)")
        threshold = f"{data.benefit_probability:g}"
        handles = [
            Patch(facecolor=RIOTT_COLOURS[0], label="RIOTT: 95% CrI above 1 (upper half)"),
            Patch(facecolor=RIOTT_COLOURS[1], label="RIOTT: 95% CrI reaches 1"),
            Patch(
                facecolor=POOLED_COLOURS[0],
                label=f"pooled: P(benefit) \u2265 {threshold} (lower half)",
            ),
            Patch(facecolor=POOLED_COLOURS[1], label=f"pooled: P(benefit) < {threshold}"),
            Patch(facecolor=UNUSABLE, hatch="//", label="incompatible or impossible"),
            Line2D([], [], color="black", lw=2.4, label="tipping point (interpolated)"),
            Patch(fill=False, edgecolor="black", label="configured reading and heroin share"),
            Line2D(
                [],
                [],
                marker="*",
                ms=10,
                ls="",
                color=STAR,
                markeredgecolor="black",
                label="the scenario's own oral-methadone IMOR",
            ),
            Patch(
                fill=False,
                edgecolor="none",
                label=f"right: the tipping IMORs (none: not up to {imors[-1]:g})",
            ),
        ]
        # Below the x-axis label, at a fixed distance whatever the number of rows.
        below = offset_copy(bottom.transAxes, fig=fig, y=-36, units="points")
        fig.legend(
            handles=handles,
            loc="upper center",
            ncol=2,
            frameon=False,
            fontsize=7,
            bbox_to_anchor=(0.5, 0),
            bbox_transform=below,
        )
        return fig


def figures(
    cells: pd.DataFrame, choice: Mapping[str, Any], benefit_probability: float
) -> dict[str, Any]:
    """Heatmaps of RIOTT's P(OR > 1) and the pooled P(benefit) per heroin-arm scenario; the
    curves along IMOR for each heroin-arm scenario and reading at the default heroin share;
    the tipping-point map."""
    default_share = choice["missing_share_heroin"]
    heatmaps = {}
    for anchor, grid in cells[cells["family"] == "heatmap"].groupby("anchor", sort=False):
        heatmaps[("riott", anchor)] = tipping_heatmap(
            grid,
            value="riott_p_or_above_1",
            threshold=0.975,
            title=f"RIOTT alone; heroin arm at '{anchor}'",
            colorbar_label="P(OR > 1), RIOTT (contour: 95% CrI reaches 1)",
        )
        heatmaps[("pooled", anchor)] = tipping_heatmap(
            grid,
            value="pooled_p_benefit",
            threshold=benefit_probability,
            title=f"Pooled illicit heroin use; heroin arm at '{anchor}'",
            colorbar_label="P(benefit), pooled",
        )
    tipping = cells[
        (cells["family"] == "tipping") & np.isclose(cells["missing_share_heroin"], default_share)
    ]
    curves = {
        f"heroin at '{anchor}', {reading.replace('_', ' ')}": curve
        for (anchor, reading), curve in tipping.groupby(["anchor", "anchor_reading"], sort=False)
    }
    return {
        "heatmaps": heatmaps,
        "curve": tipping_curves(curves, benefit_probability),
        "map": tipping_map(tipping_map_data(cells, benefit_probability, choice)),
    }
