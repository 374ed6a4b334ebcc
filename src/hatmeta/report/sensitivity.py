"""Sensitivity analyses that change nothing: the same included trials as their primary analysis.

A sensitivity analysis (:func:`hatmeta.config.sensitivity_of`: every analysis after the first of
its outcome) whose fit pooled exactly the trials, with the same counts, of its primary analysis's
fit is a copy of it. It gets no row of its own in the summary of findings and no results of its
own; its primary analysis carries a note instead, naming the trials it would add and why they
add nothing (from the trial x analysis matrix, when the report is given one). The decision is
taken from the fitted trial sets, never from the config: once the analysis includes another
trial, it is shown again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from hatmeta.config import Settings
    from hatmeta.report.results import FitTables


def unchanged(
    settings: Settings, fits: Mapping[tuple[str, str, str], FitTables], evidence: str
) -> dict[str, str]:
    """Each sensitivity analysis whose fit (primary prior, evidence set ``evidence``) pooled
    the same trials with the same counts as its primary analysis's fit, with that analysis.

    Parameters
    ----------
    settings
        The run's settings (its analyses and their primary priors).
    fits
        The fits read, by (evidence, analysis, prior).
    evidence
        The evidence set compared.

    Returns
    -------
    dict
        Sensitivity analysis name -> primary analysis name.
    """
    from hatmeta.config import sensitivity_of  # on use: the report otherwise imports no config

    analyses = settings.analyses
    copies = {}
    for name, primary in sensitivity_of(analyses).items():
        mine = fits[(evidence, name, analyses[name].primary_prior)].trials
        theirs = fits[(evidence, primary, analyses[primary].primary_prior)].trials
        if len(mine) and mine.equals(theirs):
            copies[name] = primary
    return copies


def added(matrix: pd.DataFrame | None, name: str, primary: str) -> dict[str, str]:
    """The trials analysis ``name`` considers beyond its primary analysis, each with the
    reason ``name`` leaves it out (empty without a matrix that has both analyses)."""
    from hatmeta.data.flow import INCLUDED

    if matrix is None or name not in matrix or primary not in matrix:
        return {}
    rows = matrix[(matrix[name] != matrix[primary]) & (matrix[name] != INCLUDED)]
    return dict(zip(rows["trial"], rows[name], strict=True))


def note(title: str, trials: Mapping[str, str]) -> str:
    """What the primary analysis says of a sensitivity analysis (titled ``title``) that changes
    nothing, e.g. 'Sensitivity analysis "...": adding T1 changes nothing: no usable counts
    (T1: no per-arm counts ...)'."""
    head = f'Sensitivity analysis "{title}"'
    if not trials:
        return f"{head} changes nothing: the trials it adds have no usable counts"
    reasons = "; ".join(f"{trial}: {why}" for trial, why in trials.items())
    return f"{head}: adding {', '.join(trials)} changes nothing: no usable counts ({reasons})"


def notes(
    settings: Settings, copies: Mapping[str, str], matrix: pd.DataFrame | None = None
) -> dict[str, dict[str, str]]:
    """Each primary analysis with its sensitivity analyses in ``copies`` (:func:`unchanged`),
    each with its note."""
    out: dict[str, dict[str, str]] = {}
    for name, primary in copies.items():
        title = settings.analyses[name].title
        out.setdefault(primary, {})[name] = note(title, added(matrix, name, primary))
    return out


def read_matrix(path: str | None) -> pd.DataFrame | None:
    """The trial x analysis matrix (``included`` or a reason per cell), or None."""
    if path is None:
        return None
    return pd.read_csv(path, keep_default_na=False, dtype=str)
