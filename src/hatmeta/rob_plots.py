"""Risk-of-bias figures in robvis's style: the traffic light (trials x domains, per outcome) and
the weighted summary (per analysis, the share of weight by judgement in each domain).

As :mod:`hatmeta.plots`: tidy tables in, a matplotlib ``Figure`` out, saving is the caller's.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hatmeta.plots import STYLE

#: Risk-of-bias colours and symbols, as robvis draws them.
ROB_COLOURS = {
    "low": "#02C100",
    "some_concerns": "#E2DF07",
    "high": "#BF0000",
    "not_found": "#BBBBBB",
}
ROB_SYMBOLS = {"low": "+", "some_concerns": "!", "high": "\u2212", "not_found": "?"}
ROB_WORDS = {
    "low": "low",
    "some_concerns": "some concerns",
    "high": "high",
    "not_found": "not judged",
}


def rob_traffic_light(panels: Mapping[str, pd.DataFrame], columns: Mapping[str, str]) -> Figure:
    """Trials x domains, one panel per outcome: a coloured disc per judgement (robvis's
    colours), '?' over a judgement the rule reached from no information, and '*' after a trial
    whose judgements are published ones rather than the review's own.

    ``panels``: outcome title -> rows ``trial``, ``domain``, ``judgement``, ``origin``,
    ``informative``; ``columns``: domain -> column label, in order."""
    heights = [max(len(pd.unique(p["trial"])), 1) for p in panels.values()]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(panels),
            1,
            figsize=(1.0 + 0.75 * len(columns), 0.6 + 0.36 * sum(heights) + 0.5 * len(panels)),
            gridspec_kw={"height_ratios": heights},
            squeeze=False,
        )
        for ax, (title, rows) in zip(axes[:, 0], panels.items(), strict=True):
            trials = list(pd.unique(rows["trial"]))
            cells = {(r.trial, r.domain): r for r in rows.itertuples(index=False)}
            xs, ys, colours = [], [], []
            for y, trial in enumerate(trials):
                for x, domain in enumerate(columns):
                    judged = cells.get((trial, domain))
                    value = judged.judgement if judged is not None else "not_found"
                    xs.append(x)
                    ys.append(y)
                    colours.append(ROB_COLOURS[value])
                    symbol = ROB_SYMBOLS[value]
                    if value != "not_found" and str(judged.informative) != "True":
                        symbol = "?"
                    ax.text(x, y, symbol, ha="center", va="center", fontsize=9, weight="bold")
            # One collection per panel: a scatter call per disc costs a tenth of a second each.
            ax.scatter(xs, ys, s=260, c=colours, edgecolors="#333333", zorder=1)
            published = set(rows.loc[rows["origin"] == "published", "trial"])
            ax.set_yticks(range(len(trials)), [t + ("*" if t in published else "") for t in trials])
            ax.set_xticks(range(len(columns)), list(columns.values()))
            ax.xaxis.tick_top()
            ax.set_xlim(-0.6, len(columns) - 0.4)
            ax.set_ylim(len(trials) - 0.5, -0.5)
            ax.tick_params(length=0)
            for side in ax.spines.values():
                side.set_visible(False)
            ax.set_title(title, loc="left", pad=22)
        handles = [
            plt.Line2D(
                [],
                [],
                marker="o",
                ls="",
                ms=9,
                color=ROB_COLOURS[j],
                mec="#333333",
                label=f"{ROB_SYMBOLS[j]} {ROB_WORDS[j]}",
            )
            for j in ROB_COLOURS
        ]
        legend = fig.legend(
            handles=handles,
            loc="upper left",
            ncol=4,
            frameon=False,
            fontsize=7.5,
            bbox_to_anchor=(0.0, 0.0),
        )
        legend.set_title(
            "? over a colour: judged by the rule from 'no information' answers only; "
            "* published judgement, not this review's",
            prop={"size": 7},
        )
        legend._legend_box.align = "left"
        fig.tight_layout()
        return fig


def rob_summary_plot(shares: pd.DataFrame, titles: Mapping[str, str], labels: Mapping[str, str]):
    """Per analysis (``titles``, in order), per domain (``labels``, in order), a bar of the
    shares of weight by judgement (``shares``: ``analysis``, ``domain``, ``judgement``,
    ``share``)."""
    n = len(titles)
    ncol = 2 if n > 1 else 1
    nrow = -(-n // ncol)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrow,
            ncol,
            figsize=(5.2 * ncol, 0.3 * len(labels) * nrow + 0.8 * nrow + 0.4),
            squeeze=False,
        )
        for ax, (name, title) in zip(axes.flat, titles.items(), strict=False):
            rows = shares[shares["analysis"] == name]
            ys = np.arange(len(labels))
            left = np.zeros(len(labels))
            for judgement, colour in ROB_COLOURS.items():
                widths = np.array(
                    [
                        rows.loc[
                            (rows["domain"] == d) & (rows["judgement"] == judgement), "share"
                        ].sum()
                        for d in labels
                    ]
                )
                ax.barh(
                    ys,
                    100 * widths,
                    left=100 * left,
                    color=colour,
                    edgecolor="white",
                    height=0.7,
                    label=ROB_WORDS[judgement],
                )
                left += widths
            ax.set_yticks(ys, list(labels.values()))
            ax.set_ylim(len(labels) - 0.5, -0.5)
            ax.set_xlim(0, 100)
            ax.set_xlabel("% of inverse-variance weight")
            ax.set_title(textwrap.fill(title, 60), loc="left", fontsize=8.5)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        handles, words = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, words, loc="lower center", ncol=4, frameon=False, fontsize=7.5)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        return fig
