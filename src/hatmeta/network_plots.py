"""Figures of a network meta-analysis: the network's graph and the forest against the reference.

Each function takes tidy tables (a network's geometry, its versus-reference table) and returns a
matplotlib ``Figure``; :func:`hatmeta.plots.save` writes it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hatmeta.plots import OR_TICKS, POOLED, SHRUNKEN, STYLE


def network_plot(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    components: tuple[tuple[str, ...], ...],
    labels: Mapping[str, str],
    title: str,
) -> Figure:
    """The network: treatments on a circle, each disc's area proportional to its participants,
    each line's width to the number of trials that compared its two treatments (the number
    written on it). A network in parts says so in its title, with the parts' treatments."""
    import matplotlib.pyplot as plt

    names = list(nodes["node"])
    n = len(names)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    where = {name: (np.cos(a), np.sin(a)) for name, a in zip(names, angles, strict=True)}
    participants = nodes.set_index("node")["participants"].astype(float)
    largest = max(float(participants.max()), 1.0)
    most_trials = max(int(edges["n_trials"].max()) if len(edges) else 1, 1)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 5.4))
        for edge in edges.itertuples(index=False):
            (x0, y0), (x1, y1) = where[edge.node_a], where[edge.node_b]
            width = 1.0 + 7.0 * edge.n_trials / most_trials
            ax.plot([x0, x1], [y0, y1], color="#8c8c8c", lw=width, zorder=1, solid_capstyle="round")
            ax.text(
                0.6 * x0 + 0.4 * x1,
                0.6 * y0 + 0.4 * y1,
                str(edge.n_trials),
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
                zorder=3,
            )
        for name, angle in zip(names, angles, strict=True):
            x, y = where[name]
            size = 300 + 2200 * participants[name] / largest
            ax.scatter([x], [y], s=size, color=SHRUNKEN, alpha=0.85, zorder=2, edgecolor="white")
            # The label outside the circle, beyond the disc, so that no line or disc covers it.
            reach = 1.0 + 0.22 + 0.004 * np.sqrt(size)
            label = "\n".join(textwrap.wrap(labels.get(name, name), 22))
            ax.text(
                reach * np.cos(angle),
                reach * np.sin(angle),
                f"{label}\n({name}, n = {int(participants[name])})",
                ha="center"
                if abs(np.cos(angle)) < 0.3
                else ("left" if np.cos(angle) > 0 else "right"),
                va="center"
                if abs(np.sin(angle)) < 0.3
                else ("bottom" if np.sin(angle) > 0 else "top"),
                fontsize=8,
            )
        ax.set_xlim(-2.1, 2.1)
        ax.set_ylim(-1.9, 1.65)
        ax.set_aspect("equal")
        ax.axis("off")
        if len(components) > 1:
            parts = "; ".join("{" + ", ".join(c) + "}" for c in components)
            title = f"{title}\nDISCONNECTED into {len(components)} parts: {parts}"
        ax.set_title(title, fontsize=9)
        fig.text(
            0.5,
            0.01,
            "Disc area: participants; line width and number: trials comparing the two.",
            ha="center",
            fontsize=7,
        )
        return fig


def network_forest(
    versus: pd.DataFrame,
    labels: Mapping[str, str],
    reference: str,
    higher_is_better: bool,
) -> Figure:
    """Each treatment against the reference: median odds ratio and 95% credible interval of the
    random-effects model, on a log axis."""
    import matplotlib.pyplot as plt

    rows = versus.reset_index(drop=True)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 0.9 + 0.45 * len(rows)))
        ys = np.arange(len(rows))[::-1].astype(float)
        for y, row in zip(ys, rows.itertuples(index=False), strict=True):
            ax.plot([row.OR_lower, row.OR_upper], [y, y], color=POOLED, lw=1.6)
            ax.plot([row.OR_median], [y], "s", color=POOLED, ms=6)
            ax.text(
                1.02,
                y,
                f"{row.OR_median:.2f} ({row.OR_lower:.2f} to {row.OR_upper:.2f})",
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8,
            )
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_xscale("log")
        low = min(float(rows["OR_lower"].min()), 0.5)
        high = max(float(rows["OR_upper"].max()), 2.0)
        ax.set_xlim(low / 1.3, high * 1.3)
        ticks = [t for t in OR_TICKS if low / 1.3 <= t <= high * 1.3]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_yticks(ys, [f"{labels.get(t, t)} ({t})" for t in rows["treatment"]])
        ax.set_ylim(-0.8, len(rows) - 0.2)
        better = "favours treatment" if higher_is_better else "favours reference"
        ax.set_xlabel(
            f"Odds ratio against {labels.get(reference, reference)} (random effects, 95% CrI); "
            f"OR > 1 {better}",
            fontsize=8,
        )
        return fig


def write_figures(item, result, settings, files) -> None:
    """Draw and save one network's graph and forest (:mod:`hatmeta.bayes.network_stage`'s
    prepared network and result; a network not analysed gets a forest that says why)."""
    from hatmeta.figures import placeholder
    from hatmeta.plots import save

    shape = item.geometry
    save(
        network_plot(shape.nodes, shape.edges, shape.components, settings.labels, item.spec.title),
        files.plot,
    )
    if result is None:
        message = f"Not analysed ({item.status}). See the network's statement."
        save(placeholder(message), files.forest)
        return
    save(
        network_forest(
            result.versus_reference,
            settings.labels,
            result.network.reference,
            item.spec.selection.outcome.higher_is_better,
        ),
        files.forest,
    )
