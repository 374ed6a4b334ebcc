"""Figures of the modelling stage, composed from the files the fits wrote (plots draw them).

Matplotlib (through :mod:`hatmeta.plots`) is imported by the functions that draw, not by this
module: the report imports :func:`prior_labels` and draws nothing (half a second saved there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta import priors

if TYPE_CHECKING:
    from hatmeta.config import Analysis, Comparison, PriorSpec
    from hatmeta.layout import FitFiles


def read_fit_tables(files: FitFiles) -> dict[str, pd.DataFrame]:
    """The summary and trial table of one fit (summary empty when the fit had no data)."""
    summary = pd.read_csv(files.summary)
    return {
        "summary": summary if "median" in summary.columns else pd.DataFrame(),
        "trials": pd.read_csv(files.trials),
    }


def prior_labels(
    analysis: Analysis, specs: Mapping[str, PriorSpec], turner_comparison: str
) -> dict[str, str]:
    """Readable labels of every heterogeneity prior as resolved for one analysis."""
    return {
        name: priors.resolve(spec, analysis.outcome, turner_comparison).label
        for name, spec in specs.items()
    }


def analysis_figures(
    analysis: Analysis,
    fits: Mapping[str, FitFiles],
    labels: Mapping[str, str],
    comparison: Comparison,
) -> dict[str, Any]:
    """Forest plot (primary prior) and prior-sensitivity plot of one analysis, or None.

    ``fits`` maps each prior's name to its fit files, ``labels`` each prior to its label.
    """
    from hatmeta import plots

    tables = {prior: read_fit_tables(files) for prior, files in fits.items()}
    primary = tables[analysis.primary_prior]
    if primary["summary"].empty:
        return {"forest": None, "prior_sensitivity": None}
    outcome = analysis.outcome
    forest = plots.forest_plot(
        primary["summary"],
        primary["trials"],
        title=analysis.title,
        event=outcome.event,
        higher_is_better=outcome.higher_is_better,
        prior_label=labels[analysis.primary_prior],
        treatment=comparison.treatment_label,
        control=comparison.control_label,
    )
    sensitivity = plots.prior_sensitivity_plot(
        {labels[p]: t["summary"] for p, t in tables.items()},
        title=analysis.title,
        event=outcome.event,
    )
    return {"forest": forest, "prior_sensitivity": sensitivity}


def rank_figure(posterior_path, var_names: Sequence[str] = ("d", "tau")):
    """Rank (fractional-rank delta-ECDF) plots of ``var_names``, one line per chain; ``None``
    when the fit had no data (an empty posterior)."""
    import arviz_plots as azp
    import matplotlib.pyplot as plt

    from hatmeta.io import posterior_draws

    posterior, attrs = posterior_draws(posterior_path, var_names)
    if posterior is None:
        return None
    # Thinned to about one draw per effective draw, as ArviZ advises for the uniformity test
    # (and five times faster on 8,000+ draws).
    pc = azp.plot_rank(
        posterior,
        thin=True,
        backend="matplotlib",
        figure_kwargs={"figsize": (7.5, 2.2)},
    )
    fig = pc.viz["figure"].item() if "figure" in pc.viz else plt.gcf()
    fig.suptitle(f"{attrs.get('analysis', '')}: rank plots", x=0.01, ha="left", fontsize=9)
    return fig


def placeholder(message: str):
    """A figure that says why there is no figure (an analysis without data)."""
    import matplotlib.pyplot as plt

    from hatmeta import plots

    with plt.rc_context(plots.STYLE):
        fig, ax = plt.subplots(figsize=(6, 1.2))
        ax.axis("off")
        ax.text(0.0, 0.5, message, va="center", fontsize=9)
        return fig


def rob_figures(
    judgements: pd.DataFrame, shares: pd.DataFrame, analyses: Mapping[str, Analysis]
) -> dict[str, Any]:
    """The risk-of-bias figures: the traffic light (per outcome of the analyses, every trial
    they consider, by domain and overall) and the weighted summary (per analysis with
    trials), or notices where there is nothing to draw."""
    from hatmeta import rob_plots
    from hatmeta.certainty.rob2 import DOMAIN_TITLES

    columns = {d: t.split()[0] for d, t in DOMAIN_TITLES.items()} | {"overall": "Overall"}
    labels = {d: t[:1].upper() + t[1:] for d, t in DOMAIN_TITLES.items()} | {"overall": "Overall"}
    panels = {}
    for analysis in analyses.values():
        outcome = analysis.outcome.name
        rows = judgements[(judgements["outcome"] == outcome)]
        trials = [t for t in analysis.trials if t in set(rows["trial"])]
        if trials:
            title = f"{analysis.outcome.event} ({outcome})"
            known = panels.get(title, pd.DataFrame(columns=rows.columns))
            extra = rows[rows["trial"].isin(trials) & ~rows["trial"].isin(known["trial"])]
            panels[title] = pd.concat([known, extra], ignore_index=True) if len(known) else extra
    weighted = shares.groupby("analysis")["share"].sum()
    titles = {n: a.title for n, a in analyses.items() if weighted.get(n, 0) > 0}
    out = {}
    if panels:
        out["traffic_light"] = rob_plots.rob_traffic_light(panels, columns)
    else:
        out["traffic_light"] = placeholder("No risk-of-bias assessment is configured.")
    if titles and not judgements.empty:
        out["summary"] = rob_plots.rob_summary_plot(shares, titles, labels)
    else:
        out["summary"] = placeholder("No risk-of-bias assessment of a trial with counts.")
    return out
