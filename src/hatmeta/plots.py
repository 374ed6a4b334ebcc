"""Journal-style figures: forest plots and prior sensitivity.

Every function takes tidy tables (as written under ``results/``) and returns a matplotlib
``Figure``; saving is the caller's business. Odds ratios are always on a log axis.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib

# Agg: the workflow's jobs draw and save, never show. A Jupyter kernel names its inline backend
# in MPLBACKEND (ipykernel sets it): a notebook drawing these figures keeps it, to show them.
if not os.environ.get("MPLBACKEND", "").startswith("module://matplotlib_inline"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import offset_copy
from PIL import Image

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


def _interval(ax, row: pd.Series, y: float, colour: str, marker: str, size: float, label):
    """One estimate with its interval on a horizontal line; returns the interval's ends."""
    ax.plot([row["lower"], row["upper"]], [y] * 2, color=colour, lw=1.2)
    ax.plot(row["median"], y, marker, color=colour, ms=size, label=label)
    return [row["lower"], row["upper"]]


def _trial_estimates(ax, summary: pd.DataFrame, trials: pd.DataFrame, ys) -> list[float]:
    """Observed (grey squares) and shrunken (blue circles) trial ORs; their interval ends."""
    values = []
    for y, trial in zip(ys, trials.itertuples(index=False), strict=True):
        first = y == ys[0]
        obs = _row(summary, f"OR_observed[{trial.trial}]")
        if obs is not None:
            label = "observed (95% CI)" if first else None
            values += _interval(ax, obs, y + 0.12, OBSERVED, "s", 5, label)
        shr = _row(summary, f"OR_shrunken[{trial.trial}]")
        if shr is not None:
            label = "shrunken (95% CrI)" if first else None
            values += _interval(ax, shr, y - 0.12, SHRUNKEN, "o", 4.5, label)
    return values


def _pooled_estimates(ax, pooled, predictive, y_pool: float, y_pred: float) -> list[float]:
    """The pooled OR (diamond) and the prediction interval; their interval ends."""
    values = []
    if pooled is not None:
        m, lo, hi = pooled["median"], pooled["lower"], pooled["upper"]
        ax.fill(
            [lo, m, hi, m],
            [y_pool, y_pool + 0.22, y_pool, y_pool - 0.22],
            color=POOLED,
            label="pooled (95% CrI)",
        )
        ax.text(
            1.01,
            y_pool,
            f"{m:.2f} ({lo:.2f} to {hi:.2f})",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
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
    return values


def _trial_labels(ax, trials: pd.DataFrame, ys, y_pool: float, y_pred: float) -> None:
    """Trial names with their counts on the left, outcome definitions on the right."""
    labels = [
        f"{t.label}  {t.events_treatment}/{t.total_treatment} vs "
        f"{t.events_control}/{t.total_control}"
        for t in trials.itertuples(index=False)
    ]
    ax.set_yticks([*ys, y_pool, y_pred])
    ax.set_yticklabels([*labels, "Pooled odds ratio", "Prediction (new trial)"])
    ax.set_ylim(0.2, ys[0] + 0.8 if len(trials) else 2.5)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    # Each distinct definition gets a letter beside its trials and is written out in full
    # under the plot, however long.
    letters = {d: chr(ord("a") + i) for i, d in enumerate(dict.fromkeys(trials["definition"]))}
    for y, trial in zip(ys, trials.itertuples(index=False), strict=True):
        ax.text(
            1.01,
            y,
            f"({letters[trial.definition]})",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7,
            color="#444444",
        )
    if letters:
        notes = [
            textwrap.fill(f"({letter}) {definition}", 120, subsequent_indent="     ")
            for definition, letter in letters.items()
        ]
        ax.text(
            0.0,
            0.0,
            "Outcome definitions:\n" + "\n".join(notes),
            transform=_below_axis(ax, 82),
            va="top",
            ha="left",
            fontsize=7,
            color="#444444",
        )


def forest_plot(
    summary: pd.DataFrame,
    trials: pd.DataFrame,
    *,
    title: str,
    event: str,
    higher_is_better: bool,
    prior_label: str,
    treatment: str,
    control: str,
) -> Figure:
    """Observed and shrunken trial odds ratios, pooled OR and prediction interval.

    ``summary`` is a fit summary with ``OR``, ``OR_predictive``, ``OR_shrunken[trial]`` and
    ``OR_observed[trial]`` rows; ``trials`` has one row per included trial (``trial``,
    ``label``, ``definition`` and both arms' counts).
    """
    with plt.rc_context(STYLE):
        n = len(trials)
        fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * (n + 3)))
        ys = np.arange(n + 2, 2, -1)
        y_pool, y_pred = 1.6, 0.7
        values = _trial_estimates(ax, summary, trials, ys)
        values += _pooled_estimates(
            ax, _row(summary, "OR"), _row(summary, "OR_predictive"), y_pool, y_pred
        )
        finite = [v for v in values if np.isfinite(v) and v > 0]
        lo_lim = min([*finite, 0.5]) / 1.5
        hi_lim = max([*finite, 2.0]) * 1.5
        _or_axis(ax, lo_lim, hi_lim, f"Odds ratio of {event} ({treatment} vs {control}), log scale")
        _trial_labels(ax, trials, ys, y_pool, y_pred)
        _favours(ax, higher_is_better, treatment, control)
        ax.set_title(f"{title}\nheterogeneity prior: {prior_label}", loc="left")
        _legend_below(ax)
        return fig


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


def funnel_plot(
    log_or: np.ndarray,
    se: np.ndarray,
    *,
    title: str,
    event: str,
    test_text: str,
) -> Figure:
    """Funnel plot: each trial's odds ratio (log axis) against its standard error (inverted),
    with the fixed-effect pooled odds ratio and its pseudo 95% confidence limits."""
    log_or, se = np.asarray(log_or, dtype=float), np.asarray(se, dtype=float)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 4.0))
        w = 1 / se**2
        pooled = float(np.sum(w * log_or) / np.sum(w))
        top = float(se.max()) * 1.1
        grid = np.linspace(0, top, 50)
        ax.plot(np.exp(pooled - 1.96 * grid), grid, color="#888888", lw=0.8, ls="--")
        ax.plot(
            np.exp(pooled + 1.96 * grid), grid, color="#888888", lw=0.8, ls="--",
            label="pseudo 95% limits",
        )  # fmt: skip
        ax.axvline(np.exp(pooled), color=POOLED, lw=1, label="fixed-effect pooled OR")
        ax.plot(np.exp(log_or), se, "o", color=SHRUNKEN, ms=4, label="trial")
        ax.set_ylim(top, 0)
        values = np.exp(np.concatenate([log_or, [pooled - 1.96 * top, pooled + 1.96 * top]]))
        _or_axis(ax, values.min() / 1.2, values.max() * 1.2, f"Odds ratio of {event}, log scale")
        ax.set_ylabel("Standard error of the log OR")
        ax.set_title(textwrap.fill(f"{title}: funnel plot. {test_text}", 80), loc="left")
        ax.legend(frameon=False, fontsize=7.5, loc="lower left")
        return fig


def save(fig: Figure, path, palette: int | None = 256) -> None:
    """Save as a PNG of at most ``palette`` colours (``None``: 24-bit) and close (figures are
    built in loops; open figures would pile up). The figures are flat colours and anti-aliased
    edges, so an adaptive palette looks the same as 24-bit colour at about a third of the size,
    which keeps the self-contained report (every figure inlined) small. A figure of a few flat
    colours can ask for fewer (the tipping-point map: 64; tests/test_riott_figures.py measures
    each pixel against the 24-bit picture)."""
    if palette is None:
        fig.savefig(path, dpi=STYLE["savefig.dpi"], bbox_inches="tight")
        plt.close(fig)
        return
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=STYLE["savefig.dpi"], bbox_inches="tight")
    plt.close(fig)
    image = Image.open(buffer).convert("RGB")
    image.quantize(palette, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(path)


__all__: Sequence[str] = [
    "flow_plot",
    "forest_plot",
    "funnel_plot",
    "prior_sensitivity_plot",
    "save",
]


def flow_plot(counts: pd.DataFrame, title: str = "Trials from the sheet to the analyses") -> Figure:
    """Trials at each stage of the study flow (``stage``, ``n_trials``): known, with usable
    counts, then in each primary analysis, as horizontal bars from top to bottom."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(counts) + 1.0))
        ys = np.arange(len(counts))[::-1]
        colours = [OBSERVED, OBSERVED, *[SHRUNKEN] * (len(counts) - 2)][: len(counts)]
        ax.barh(ys, counts["n_trials"], color=colours, height=0.6)
        for y, n in zip(ys, counts["n_trials"], strict=True):
            ax.text(n + 0.1, y, str(int(n)), va="center")
        ax.set_yticks(ys, [textwrap.fill(str(s), 45) for s in counts["stage"]])
        ax.set_xlim(0, max(int(counts["n_trials"].max()), 1) * 1.15)
        ax.xaxis.set_major_locator(FixedLocator(range(int(counts["n_trials"].max()) + 1)))
        ax.set_xlabel("trials")
        ax.set_title(title, loc="left")
        return fig
