"""Figures of the RIOTT sensitivity analysis: tipping heatmaps and the OR along IMOR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from hatmeta.plots import STYLE


def tipping_heatmap(
    grid: pd.DataFrame,
    *,
    value: str,
    threshold: float,
    title: str,
    colorbar_label: str,
    contour_label: str,
    published_share: float | None = None,
) -> Figure:
    """A value over (oral-methadone missing share, IMOR) with the tipping contour drawn."""
    shares = np.sort(grid["missing_share_methadone"].unique())
    imors = np.sort(grid["imor_methadone"].unique())
    table = grid.pivot(index="imor_methadone", columns="missing_share_methadone", values=value)
    z = table.loc[imors, shares].to_numpy()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 4.4))
        xi, yi = np.arange(len(shares)), np.arange(len(imors))
        mesh = ax.pcolormesh(xi, yi, z, shading="nearest", cmap="RdBu", vmin=0, vmax=1)
        cbar = fig.colorbar(mesh, ax=ax)
        cbar.set_label(colorbar_label)
        if np.nanmin(z) < threshold < np.nanmax(z):
            contour = ax.contour(xi, yi, z, levels=[threshold], colors="black", linewidths=1.6)
            ax.clabel(contour, fmt={threshold: contour_label}, fontsize=7)
        ax.set_xticks(xi)
        ax.set_xticklabels([f"{s:.2f}" for s in shares], rotation=45)
        ax.set_yticks(yi)
        ax.set_yticklabels([f"{v:g}" for v in imors])
        ax.set_xlabel("Share of tests missed by the oral-methadone arm")
        ax.set_ylabel(
            "IMOR of missing tests, oral-methadone arm\n(0 = counted positive, 1 = at random)"
        )
        if published_share is not None:
            ax.axvline(np.interp(published_share, shares, xi), color="#222222", ls=":", lw=1)
        ax.set_title(title, loc="left")
        return fig


def tipping_curve(
    curves: Mapping[str, pd.DataFrame],
    *,
    title: str,
    x_label: str = "IMOR of missing tests, oral-methadone arm",
) -> Figure:
    """RIOTT's OR (median and 95% CrI) along IMOR, one line per setting."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 3.8))
        for (name, curve), colour in zip(
            curves.items(), plt.cm.viridis(np.linspace(0.1, 0.85, len(curves))), strict=True
        ):
            x = curve["imor_methadone"].to_numpy()
            ax.plot(x, curve["or_median"], color=colour, lw=1.6, label=name)
            ax.fill_between(x, curve["or_lower"], curve["or_upper"], color=colour, alpha=0.15)
        ax.set_yscale("log")
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xscale("symlog", linthresh=0.1, linscale=0.5)
        x_max = max(float(c["imor_methadone"].max()) for c in curves.values())
        ax.set_xlim(0, x_max)
        ticks = [t for t in (0, 0.1, 0.25, 0.5, 1, 2, 4, 10) if t <= x_max]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        # Intervals reaching far below 1 carry no information beyond "includes 1": clip.
        lower = min(float(c["or_lower"].min()) for c in curves.values())
        if lower < 1e-3:
            ax.set_ylim(bottom=1e-3)
            ax.text(
                0.01,
                0.01,
                "intervals clipped at 0.001",
                transform=ax.transAxes,
                fontsize=7,
                color="#555555",
            )
        ax.set_xlabel(x_label)
        ax.set_ylabel("RIOTT odds ratio of response, log scale")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_title(title, loc="left")
        return fig


def figures(grids: Mapping[str, pd.DataFrame], benefit_probability: float) -> dict[str, Any]:
    """Heatmaps of RIOTT's P(OR > 1) and the pooled P(benefit); the OR along IMOR."""
    threshold = benefit_probability
    heatmaps = {}
    for heroin, grid in grids.items():
        heatmaps[("riott", heroin)] = tipping_heatmap(
            grid,
            value="p_or_above_1",
            threshold=0.975,
            title=f"RIOTT alone; heroin arm at '{heroin}'",
            colorbar_label="P(OR > 1), RIOTT",
            contour_label="95% CrI reaches 1",
        )
        heatmaps[("pooled", heroin)] = tipping_heatmap(
            grid,
            value="pooled_p_benefit",
            threshold=threshold,
            title=f"Pooled illicit heroin use; heroin arm at '{heroin}'",
            colorbar_label="P(benefit), pooled",
            contour_label=f"P = {threshold:g}",
        )
    curves = {}
    for heroin, grid in grids.items():
        shares = grid["missing_share_methadone"].unique()
        for share in (shares.min(), shares[len(shares) // 2], shares.max()):
            curves[f"{heroin}, methadone missing {share:.0%}"] = grid[
                grid["missing_share_methadone"] == share
            ]
    curve = tipping_curve(curves, title="RIOTT odds ratio along the oral-methadone IMOR")
    return {"heatmaps": heatmaps, "curve": curve}
