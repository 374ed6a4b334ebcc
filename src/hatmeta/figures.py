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
