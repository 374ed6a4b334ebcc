"""Figures of the modelling stage, drawn from the files the fits wrote."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hatmeta import plots, priors
from hatmeta.config import primary_prior
from hatmeta.io import fit_dir


def read_fit(root: str | Path, evidence: str, analysis: str, prior: str) -> dict[str, Any]:
    """The summary and trial table of one fit (summary empty when the fit had no data)."""
    directory = fit_dir(root, evidence, analysis, prior)
    summary = pd.read_csv(directory / "summary.csv")
    return {
        "summary": summary if "median" in summary.columns else pd.DataFrame(),
        "trials": pd.read_csv(directory / "trials.csv"),
    }


def prior_labels(config: Mapping[str, Any], analysis: str) -> dict[str, str]:
    """Readable labels of every heterogeneity prior as resolved for one analysis."""
    outcome = config["outcomes"][config["analyses"][analysis]["outcome"]]
    comparison = config["comparison"]["turner_comparison"]
    return {
        name: priors.resolve(name, spec, outcome, comparison)["label"]
        for name, spec in config["priors"]["heterogeneity"].items()
    }


def analysis_figures(
    config: Mapping[str, Any], root: str | Path, evidence: str, analysis: str
) -> dict[str, Any]:
    """Forest plot (primary prior) and prior-sensitivity plot of one analysis, or None."""
    spec = config["analyses"][analysis]
    outcome = config["outcomes"][spec["outcome"]]
    primary = primary_prior(config, analysis)
    labels = prior_labels(config, analysis)
    fits = {prior: read_fit(root, evidence, analysis, prior) for prior in labels}
    if fits[primary]["summary"].empty:
        return {"forest": None, "prior_sensitivity": None}
    treatment = config["comparison"]["treatment_arm"]
    forest = plots.forest_plot(
        fits[primary]["summary"],
        fits[primary]["trials"],
        title=spec["title"],
        event=outcome["event"],
        higher_is_better=outcome["higher_is_better"],
        prior_label=labels[primary],
        treatment=treatment,
    )
    sensitivity = plots.prior_sensitivity_plot(
        {labels[p]: f["summary"] for p, f in fits.items()},
        title=spec["title"],
        event=outcome["event"],
    )
    return {"forest": forest, "prior_sensitivity": sensitivity}


def placeholder(message: str):
    """A figure that says why there is no figure (an analysis without data)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(plots.STYLE):
        fig, ax = plt.subplots(figsize=(6, 1.2))
        ax.axis("off")
        ax.text(0.0, 0.5, message, va="center", fontsize=9)
        return fig
