"""The modelling stage: every analysis x evidence set under one heterogeneity prior.

One process compiles the model once and fits every analysis (and its leave-one-out refits) by
swapping data, because compiling costs seconds and sampling a fraction of one. An analysis whose
data do not change between evidence sets is not sampled twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from hatmeta import priors
from hatmeta.bayes.diagnostics import check_diagnostics, compute_diagnostics, enforce, thresholds
from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.sampling import ModelRunner
from hatmeta.bayes.summaries import pooled_summary, summarise
from hatmeta.data.tables import included_arms, trial_rows
from hatmeta.io import save_posterior, write_csv, write_json

if TYPE_CHECKING:
    from hatmeta.config import Analysis, ModelSettings, PriorSpec
    from hatmeta.layout import FitFiles
    from hatmeta.priors import HeterogeneityPrior

log = logging.getLogger("hatmeta.bayes")

LOO_COLUMNS = (
    "left_out",
    "n_included",
    "OR_median",
    "OR_lower",
    "OR_upper",
    "tau_median",
    "P(OR>1)",
    "failures",
)


@dataclass
class FitResult:
    """One analysis under one prior: ``status`` is ``passed``, ``flagged`` or ``no data``."""

    status: str
    trials: pd.DataFrame
    where: str
    tree: xr.DataTree | None = None
    summary: pd.DataFrame | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    loo: pd.DataFrame | None = None


def _data_key(data: FitData, prior: HeterogeneityPrior) -> str:
    digest = hashlib.sha256()
    for name, values in data.data_arrays().items():
        digest.update(name.encode() + np.ascontiguousarray(values).tobytes())
    digest.update(repr((data.trials, prior)).encode())
    return digest.hexdigest()


class PriorStage:
    """Fit every (evidence set, analysis) under one heterogeneity prior, one compiled model."""

    def __init__(self, model: ModelSettings, prior: PriorSpec, n_trials: int):
        self.model = model
        self.prior_spec = prior
        self.runner = ModelRunner(
            n_trials, model.sampler, effect_sd=model.effect_sd, baseline_sd=model.baseline_sd
        )
        self._done: dict[str, FitResult] = {}
        self.timings: list[dict[str, Any]] = []

    def prior(self, analysis: Analysis) -> HeterogeneityPrior:
        """The stage's prior resolved for ``analysis`` (Turner priors depend on its outcome)."""
        return priors.resolve(self.prior_spec, analysis.outcome, self.model.turner_comparison)

    def gate(self, tree: xr.DataTree, where: str) -> tuple[dict[str, Any], list[str]]:
        """Diagnostics of one fit and its failed checks; stops the run if the gate says so."""
        diagnostics = compute_diagnostics(tree)
        failures = check_diagnostics(diagnostics, self.model.gate)
        enforce(self.model.gate, failures, where, self.prior_spec.name)
        return diagnostics, failures

    def fit(self, evidence: str, analysis: Analysis, table: pd.DataFrame) -> FitResult:
        """Fit one analysis table: posterior, summary, diagnostics, leave-one-out."""
        where = f"{evidence}/{analysis.name}"
        trials = trial_rows(table)
        if trials.empty:
            log.info("%s: no trial with counts; nothing to fit", where)
            return FitResult("no data", trials, where)
        prior = self.prior(analysis)
        data = FitData.from_arms(included_arms(table), self.runner.n_trials)
        key = _data_key(data, prior)
        if key in self._done:
            done = self._done[key]
            log.info("%s: same data and prior as %s; reusing that fit", where, done.where)
            return FitResult(**{**vars(done), "trials": trials})
        start = time.perf_counter()
        tree = self.runner.fit(data, prior)
        diagnostics, failures = self.gate(tree, where)
        loo = self.leave_one_out(data, prior, where)
        flagged = failures + [
            f"without {r.left_out}: {r.failures}" for r in loo.itertuples(index=False) if r.failures
        ]
        diagnostics |= {
            "status": "flagged" if flagged else "passed",
            "failures": flagged,
            "prior": prior.label,
            "thresholds": thresholds(self.model.gate),
            "n_trials": len(data.included),
        }
        tree.attrs.update(
            {"analysis": analysis.name, "evidence": evidence, "prior_label": prior.label}
        )
        summary = summarise(
            tree,
            higher_is_better=analysis.outcome.higher_is_better,
            relevant_or=self.model.relevant_or,
        )
        result = FitResult(diagnostics["status"], trials, where, tree, summary, diagnostics, loo)
        self._done[key] = result
        seconds = time.perf_counter() - start
        self.timings.append({"fit": where, "seconds": seconds, "fits": 1 + len(loo)})
        log.info(
            "%s: %s in %.1f s (%d fits incl. leave-one-out)",
            where,
            result.status,
            seconds,
            1 + len(loo),
        )
        return result

    def leave_one_out(self, data: FitData, prior: HeterogeneityPrior, where: str) -> pd.DataFrame:
        """Refit with each included trial masked in turn (exact refits, same compiled model).

        Every refit uses the same seed so that differences between rows are not inflated by
        independent Monte Carlo noise. Empty with fewer than two trials.
        """
        included = data.included
        if len(included) < 2:
            return pd.DataFrame(columns=list(LOO_COLUMNS))
        rows = []
        for trial in included:
            tree = self.runner.fit(data.without(trial), prior)
            _, failures = self.gate(tree, f"{where} without {trial}")
            rows.append(
                {
                    "left_out": trial,
                    "n_included": len(included) - 1,
                    **pooled_summary(tree),
                    "failures": "; ".join(failures),
                }
            )
        return pd.DataFrame(rows, columns=list(LOO_COLUMNS))


NO_DATA_NOTE = "no trial in this analysis has counts for both arms"


def write_fit(result: FitResult, files: FitFiles) -> None:
    """Write one fit's files; a 'no data' fit writes files that say so."""
    write_csv(result.trials, files.trials)
    if result.status == "no data":
        write_csv(pd.DataFrame([{"quantity": "status", "note": NO_DATA_NOTE}]), files.summary)
        write_json(
            {"status": "no data", "failures": [], "note": NO_DATA_NOTE}, files.diagnostics, digits=6
        )
        write_csv(pd.DataFrame(columns=["left_out"]), files.loo)
        empty = xr.DataTree(dataset=xr.Dataset(attrs={"status": "no data", "note": NO_DATA_NOTE}))
        save_posterior(empty, files.posterior)
        return
    write_csv(result.summary, files.summary)
    write_json(result.diagnostics, files.diagnostics, digits=6)
    write_csv(result.loo, files.loo)
    save_posterior(result.tree, files.posterior)


def run_prior(
    model: ModelSettings,
    prior: PriorSpec,
    tables: Mapping[tuple[str, str], pd.DataFrame],
    outputs: Mapping[tuple[str, str], FitFiles],
) -> PriorStage:
    """Fit every analysis table ``(evidence, analysis)`` under ``prior``; write its files."""
    n_trials = max([len(trial_rows(t)) for t in tables.values()] + [1])
    stage = PriorStage(model, prior, n_trials)
    for (evidence, analysis), table in tables.items():
        result = stage.fit(evidence, model.analyses[analysis], table)
        write_fit(result, outputs[(evidence, analysis)])
    return stage
