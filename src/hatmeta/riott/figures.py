"""Figures of the RIOTT sensitivity analysis: tipping heatmaps and the results along IMOR.

Cells whose assumptions are impossible or incompatible with the published counts are drawn
hatched grey, never coloured as results.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from hatmeta.plots import STYLE

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


def figures(
    cells: pd.DataFrame, default_share: float, benefit_probability: float
) -> dict[str, Any]:
    """Heatmaps of RIOTT's P(OR > 1) and the pooled P(benefit) per heroin-arm scenario; the
    curves along IMOR for each heroin-arm scenario and reading at the default heroin share."""
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
    return {"heatmaps": heatmaps, "curve": tipping_curves(curves, benefit_probability)}
