"""Journal-style figures: forest plots, prior sensitivity, RIOTT tipping point.

Every function takes tidy tables (as written under ``results/``) and returns a matplotlib
``Figure``; saving is the caller's business. Odds ratios are always on a log axis.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import offset_copy

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
}
OBSERVED = "#555555"
SHRUNKEN = "#1f5fa8"
POOLED = "#b2182b"
OR_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)


def _or_axis(ax, lower: float, upper: float, label: str) -> None:
    lower, upper = max(lower, 1e-3), min(upper, 1e3)
    ax.set_xscale("log")
    ax.set_xlim(lower, upper)
    ticks = [t for t in OR_TICKS if lower <= t <= upper]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xlabel(label)


def _row(summary: pd.DataFrame, quantity: str) -> pd.Series | None:
    hit = summary[summary["quantity"] == quantity]
    return None if hit.empty else hit.iloc[0]


def _below_axis(ax, points: float):
    """A transform: x in axes fraction, y ``points`` below the x-axis (independent of size)."""
    return offset_copy(ax.transAxes, fig=ax.figure, y=-points, units="points")


def _favours(ax, higher_is_better: bool, treatment: str, control: str) -> None:
    """'favours ...' under both ends of the axis, below the axis label whatever the height."""
    left, right = (control, treatment) if higher_is_better else (treatment, control)
    transform = _below_axis(ax, 40)
    style = {"fontsize": 8, "color": "#333333", "va": "top", "transform": transform}
    ax.text(0.0, 0.0, f"\u2190 favours {left}", ha="left", **style)
    ax.text(1.0, 0.0, f"favours {right} \u2192", ha="right", **style)


def _legend_below(ax, points: float = 54, ncol: int = 4) -> None:
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=_below_axis(ax, points),
        ncol=ncol,
        frameon=False,
        fontsize=7.5,
        handlelength=1.6,
    )


def forest_plot(
    summary: pd.DataFrame,
    trials: pd.DataFrame,
    *,
    title: str,
    event: str,
    higher_is_better: bool,
    prior_label: str,
    treatment: str = "SIH",
    control: str = "oral methadone",
) -> Figure:
    """Observed and shrunken trial odds ratios, pooled OR and prediction interval.

    Parameters
    ----------
    summary
        A fit summary (``quantity, median, lower, upper, mean, note``) with ``OR``,
        ``OR_predictive``, ``OR_shrunken[trial]`` and ``OR_observed[trial]`` rows.
    trials
        One row per included trial: ``trial``, ``label`` (e.g. "Germany 2007"),
        ``definition``, ``events_treatment``, ``total_treatment``, ``events_control``,
        ``total_control``.
    """
    with plt.rc_context(STYLE):
        n = len(trials)
        fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * (n + 3)))
        ys = np.arange(n + 2, 2, -1)
        values = []
        for y, trial in zip(ys, trials.itertuples(index=False), strict=True):
            obs = _row(summary, f"OR_observed[{trial.trial}]")
            shr = _row(summary, f"OR_shrunken[{trial.trial}]")
            if obs is not None:
                ax.plot([obs["lower"], obs["upper"]], [y + 0.12] * 2, color=OBSERVED, lw=1.2)
                ax.plot(
                    obs["median"],
                    y + 0.12,
                    "s",
                    color=OBSERVED,
                    ms=5,
                    label="observed (95% CI)" if y == ys[0] else None,
                )
                values += [obs["lower"], obs["upper"]]
            if shr is not None:
                ax.plot([shr["lower"], shr["upper"]], [y - 0.12] * 2, color=SHRUNKEN, lw=1.2)
                ax.plot(
                    shr["median"],
                    y - 0.12,
                    "o",
                    color=SHRUNKEN,
                    ms=4.5,
                    label="shrunken (95% CrI)" if y == ys[0] else None,
                )
                values += [shr["lower"], shr["upper"]]
        pooled = _row(summary, "OR")
        predictive = _row(summary, "OR_predictive")
        y_pool, y_pred = 1.6, 0.7
        if pooled is not None:
            m, lo, hi = pooled["median"], pooled["lower"], pooled["upper"]
            ax.fill(
                [lo, m, hi, m],
                [y_pool, y_pool + 0.22, y_pool, y_pool - 0.22],
                color=POOLED,
                label="pooled (95% CrI)",
            )
            values += [lo, hi]
        if predictive is not None:
            ax.plot(
                [predictive["lower"], predictive["upper"]],
                [y_pred] * 2,
                color=POOLED,
                lw=2.5,
                alpha=0.5,
                label="new trial (95% prediction)",
            )
            values += [predictive["lower"], predictive["upper"]]
        finite = [v for v in values if np.isfinite(v) and v > 0]
        lo_lim = min([*finite, 0.5]) / 1.5
        hi_lim = max([*finite, 2.0]) * 1.5
        _or_axis(ax, lo_lim, hi_lim, f"Odds ratio of {event} ({treatment} vs {control}), log scale")
        labels = [
            f"{t.label}  {t.events_treatment}/{t.total_treatment} vs "
            f"{t.events_control}/{t.total_control}"
            for t in trials.itertuples(index=False)
        ]
        ax.set_yticks([*ys, y_pool, y_pred])
        ax.set_yticklabels([*labels, "Pooled odds ratio", "Prediction (new trial)"])
        ax.set_ylim(0.2, ys[0] + 0.8 if n else 2.5)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        if pooled is not None:
            ax.text(
                1.01,
                y_pool,
                f"{pooled['median']:.2f} ({pooled['lower']:.2f} to {pooled['upper']:.2f})",
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8,
            )
        for y, trial in zip(ys, trials.itertuples(index=False), strict=True):
            ax.text(
                1.01,
                y,
                _shorten(trial.definition, 48),
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=7,
                color="#444444",
            )
        _favours(ax, higher_is_better, treatment, control)
        ax.set_title(f"{title}\nheterogeneity prior: {prior_label}", loc="left")
        _legend_below(ax)
        return fig


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def prior_sensitivity_plot(
    summaries: Mapping[str, pd.DataFrame], *, title: str, event: str
) -> Figure:
    """Pooled OR, prediction interval and tau under each heterogeneity prior."""
    with plt.rc_context(STYLE):
        fig, (ax, ax_tau) = plt.subplots(
            1,
            2,
            figsize=(7.5, 1.3 + 0.55 * len(summaries)),
            width_ratios=[2.4, 1],
            sharey=True,
            gridspec_kw={"wspace": 0.08},
        )
        names = list(summaries)
        ys = np.arange(len(names), 0, -1)
        values = []
        for y, name in zip(ys, names, strict=True):
            summary = summaries[name]
            pooled, predictive, tau = (_row(summary, q) for q in ("OR", "OR_predictive", "tau"))
            ax.plot(
                [predictive["lower"], predictive["upper"]],
                [y - 0.15] * 2,
                color=POOLED,
                lw=2.5,
                alpha=0.45,
                label="prediction (new trial)" if y == ys[0] else None,
            )
            ax.plot([pooled["lower"], pooled["upper"]], [y + 0.1] * 2, color=POOLED, lw=1.4)
            ax.plot(
                pooled["median"],
                y + 0.1,
                "D",
                color=POOLED,
                ms=5,
                label="pooled OR (95% CrI)" if y == ys[0] else None,
            )
            ax_tau.plot([tau["lower"], tau["upper"]], [y] * 2, color=SHRUNKEN, lw=1.4)
            ax_tau.plot(tau["median"], y, "o", color=SHRUNKEN, ms=4.5)
            values += [predictive["lower"], predictive["upper"]]
        finite = [v for v in values if np.isfinite(v) and v > 0]
        _or_axis(
            ax,
            min([*finite, 0.5]) / 1.3,
            max([*finite, 2]) * 1.3,
            textwrap.fill(f"Odds ratio of {event} (log scale)", 48),
        )
        ax.set_yticks(ys)
        ax.set_yticklabels([textwrap.fill(name, 34) for name in names])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(0.4, len(names) + 0.6)
        ax_tau.set_xlabel("\u03c4 (between-trial SD\nof the log OR)")
        ax_tau.set_xlim(left=0)
        ax_tau.spines["left"].set_visible(False)
        ax_tau.tick_params(axis="y", length=0)
        _legend_below(ax, points=44, ncol=2)
        fig.suptitle(
            f"{title}: sensitivity to the heterogeneity prior", x=0.02, ha="left", fontsize=10
        )
        return fig


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


def save(fig: Figure, path) -> None:
    """Save and close (figures are built in loops; open figures would pile up)."""
    fig.savefig(path, dpi=STYLE["savefig.dpi"], bbox_inches="tight")
    plt.close(fig)


__all__: Sequence[str] = [
    "forest_plot",
    "prior_sensitivity_plot",
    "save",
    "tipping_curve",
    "tipping_heatmap",
]
