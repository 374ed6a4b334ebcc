"""The RIOTT-free base posterior: the pooled analysis fitted with RIOTT's slot masked.

Its own workflow job, with its own inputs (the analysis table, the model settings and the
analysis's primary prior), so that editing a missing-test scenario never refits it. Every
scenario's RIOTT evidence is then added to it in :mod:`hatmeta.riott.pooling`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.bayes.diagnostics import thresholds
from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.stage import ModelStage
from hatmeta.data.tables import included_arms

if TYPE_CHECKING:
    import xarray as xr

    from hatmeta.config import Analysis, ModelSettings, PriorSpec

#: Draws per chain the base starts with: reweighting spends effective draws, so it starts long.
BASE_DRAWS = 5000


def fit_base(
    model: ModelSettings, spec: PriorSpec, analysis: Analysis, table: pd.DataFrame, trial: str
) -> tuple[xr.DataTree, dict[str, Any], ModelStage]:
    """MCMC fit of ``analysis`` with ``trial`` masked, sampled to the gate's targets; the stage
    comes along for its timings."""
    arms = included_arms(table)
    if trial not in set(arms["trial"]):
        raise ValueError(f"{trial} is not among the trials pooled in analysis '{analysis.name}'")
    sampler = model.sampler._replace(draws=max(BASE_DRAWS, model.sampler.draws))
    stage = ModelStage(model._replace(sampler=sampler), n_trials=arms["trial"].nunique())
    data = FitData.from_arms(arms, stage.runner.n_trials).without(trial)
    prior = stage.prior(spec, analysis)
    fit = stage.sample(data, prior, f"{analysis.name} without {trial} (base of the RIOTT analysis)")
    diagnostics = fit.diagnostics | {
        "status": "flagged" if fit.failures else "passed",
        "failures": fit.failures,
        "prior": prior.label,
        "analysis": analysis.name,
        "left_out": trial,
        "thresholds": thresholds(model.gate),
        "attempts": fit.record(),
    }
    return fit.tree, diagnostics, stage
