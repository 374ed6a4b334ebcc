"""The modelling stage: every analysis x evidence set x heterogeneity prior, one compiled model.

One process compiles the model once and fits every analysis under every prior (and the
leave-one-out refits under each analysis's primary prior) by swapping data, because compiling
costs seconds and sampling a fraction of one. A fit whose data and prior are identical to an
earlier one (the same analysis in two evidence sets) is not sampled twice.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from hatmeta import priors
from hatmeta.bayes import refits
from hatmeta.bayes.diagnostics import enforce, thresholds
from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.normal_normal import cross_check
from hatmeta.bayes.sampling import Fit, ModelRunner
from hatmeta.bayes.summaries import log_odds_ratios, summarise
from hatmeta.data.tables import included_arms, trial_rows
from hatmeta.evidence_rules import TrialCounts, baseline, record
from hatmeta.io import save_posterior, write_csv, write_json, write_with

if TYPE_CHECKING:
    from hatmeta.config import Analysis, ModelSettings, PriorSpec
    from hatmeta.layout import FitFiles
    from hatmeta.priors import HeterogeneityPrior

log = logging.getLogger("hatmeta.bayes")

#: The arm columns, in the order :func:`log_odds_ratios` takes them.
ARM_ORDER = (
    ("treatment", "events"),
    ("treatment", "total"),
    ("control", "events"),
    ("control", "total"),
)


def arms_of(arms: pd.DataFrame, column: tuple[str, str]) -> np.ndarray:
    """One role's counts, trials in order of first appearance."""
    role, field_ = column
    return arms[arms["role"] == role][field_].to_numpy(dtype=float)


@dataclass
class FitResult:
    """One analysis under one prior: ``status`` is ``passed``, ``flagged``, or, without a fit,
    ``no data`` or ``not modelled`` (:data:`NOT_FITTED`)."""

    status: str
    trials: pd.DataFrame
    where: str
    tree: xr.DataTree | None = None
    summary: pd.DataFrame | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    loo: pd.DataFrame | None = None
    note: str = ""


def _data_key(data: FitData, prior: HeterogeneityPrior) -> str:
    digest = hashlib.sha256()
    for name, values in data.data_arrays().items():
        digest.update(name.encode() + np.ascontiguousarray(values).tobytes())
    digest.update(repr((data.trials, prior)).encode())
    return digest.hexdigest()


class ModelStage:
    """Fit analyses under any heterogeneity prior with one compiled model of ``n_trials`` slots.

    ``timings`` collects one record per sampled fit (draws, attempts, seconds, ESS per second)
    for the job's log and the benchmark; results never carry timings.
    """

    def __init__(self, model: ModelSettings, n_trials: int):
        self.model = model
        self.runner = ModelRunner(
            n_trials, model.sampler, effect_sd=model.effect_sd, baseline_sd=model.baseline_sd
        )
        self._done: dict[str, FitResult] = {}
        self.timings: list[dict[str, Any]] = []

    def prior(self, spec: PriorSpec, analysis: Analysis) -> HeterogeneityPrior:
        """A configured prior resolved for ``analysis`` (Turner priors depend on its outcome)."""
        return priors.resolve(spec, analysis.outcome, self.model.turner_comparison)

    def sample(self, data: FitData, prior: HeterogeneityPrior, where: str) -> Fit:
        """Sample one fit to its targets; stop the run if it misses them and the gate says so."""
        fit = self.runner.fit(data, prior, self.model.gate)
        diag = fit.diagnostics
        self.timings.append(
            {
                "fit": where,
                "prior": prior.name,
                "draws": diag["draws"],
                "attempts": len(fit.attempts),
                "seconds": round(fit.seconds, 3),
                "min_ess_bulk": diag["min_ess_bulk"],
                "ess_bulk_per_second": diag["min_ess_bulk"] / fit.seconds,
            }
        )
        if fit.failures:
            tried = "; ".join(a.describe() for a in fit.attempts)
            failures = [*fit.failures, f"tried: {tried}"]
            enforce(self.model.gate, failures, where, prior.name)
        return fit

    def fit(
        self, evidence: str, analysis: Analysis, spec: PriorSpec, table: pd.DataFrame
    ) -> FitResult:
        """Fit one analysis table: posterior, summary, diagnostics, refits (primary prior)."""
        where = f"{evidence}/{analysis.name}"
        trials = trial_rows(table)
        if trials.empty:
            log.info("%s: no trial with counts; nothing to fit", where)
            return FitResult("no data", trials, where, note=NOT_FITTED["no data"])
        counts = TrialCounts.of(table)
        recorded = {"evidence": record(counts, analysis)}
        if counts.counts_events:
            log.info("%s: counts of events, not participants; not modelled", where)
            return FitResult(
                "not modelled", trials, where, diagnostics=recorded, note=NOT_FITTED["not modelled"]
            )
        prior = self.prior(spec, analysis)
        arms = included_arms(table)
        data = FitData.from_arms(arms, self.runner.n_trials)
        key = _data_key(data, prior)
        if key in self._done:
            done = self._done[key]
            log.info("%s: same data and prior as %s; reusing that fit", where, done.where)
            return FitResult(**{**vars(done), "trials": trials, "where": where})
        fit = self.sample(data, prior, where)
        primary = spec.name == analysis.primary_prior
        # Refits run under the analysis's primary prior, the one the report shows.
        loo = self.refits(data, prior, where, arms) if primary else refits.empty()
        flagged = list(fit.failures) + [
            f"without {r.left_out}: {r.failures}" for r in loo.itertuples(index=False) if r.failures
        ]
        diagnostics = fit.diagnostics | {
            "status": "flagged" if flagged else "passed",
            "failures": flagged,
            "prior": prior.label,
            "thresholds": thresholds(self.model.gate),
            "n_trials": len(data.included),
            "attempts": fit.record(),
            **recorded,
        }
        fit.tree.attrs.update(
            {"analysis": analysis.name, "evidence": evidence, "prior_label": prior.label}
        )
        higher_is_better = analysis.outcome.higher_is_better
        summary = summarise(
            fit.tree,
            higher_is_better=higher_is_better,
            relevant_or=self.model.relevant_or,
            baseline=baseline(counts, analysis)[0],
        )
        if primary:
            observed = log_odds_ratios(*(arms_of(arms, column) for column in ARM_ORDER))
            checked = cross_check(*observed[:2], prior, self.model.effect_sd, higher_is_better)
            summary = pd.concat([summary, pd.DataFrame(checked)], ignore_index=True)
        result = FitResult(
            diagnostics["status"], trials, where, fit.tree, summary, diagnostics, loo
        )
        self._done[key] = result
        log.info("%s under %s: %s", where, spec.name, result.status)
        return result

    def refits(
        self, data: FitData, prior: HeterogeneityPrior, where: str, arms: pd.DataFrame
    ) -> pd.DataFrame:
        """Leave-one-out and comparator-type refits (:mod:`hatmeta.bayes.refits`)."""
        controls = self.model.comparator_controls
        other = arms.loc[(arms["role"] == "control") & arms["arm"].isin(controls), "trial"]
        return refits.refits(
            lambda subset, label: self.sample(subset, prior, label),
            data,
            where,
            tuple(other),
            " or ".join(controls),
        )


#: Why an analysis without a fit has none.
NOT_FITTED = {
    "no data": "no trial in this analysis has counts for both arms",
    "not modelled": (
        "the counts are of events, not of participants (a participant may have several), so "
        "neither the binomial model nor the classical 2 x 2 methods apply; they are pooled as "
        "events over person-time by the rate model (hatmeta.bayes.rate_stage)"
    ),
}


def write_fit(result: FitResult, files: FitFiles, written: dict[int, str] | None = None) -> None:
    """Write one fit's files; a 'no data' fit writes files that say so.

    ``written`` maps posteriors already saved (by ``id``) to their file: a fit reused for
    another evidence set copies that file instead of encoding it again.
    """
    write_csv(result.trials, files.trials)
    if result.status in NOT_FITTED:
        status, note = result.status, result.note
        write_csv(pd.DataFrame([{"quantity": "status", "note": note}]), files.summary)
        diagnostics = {"status": status, "failures": [], "note": note, **result.diagnostics}
        write_json(diagnostics, files.diagnostics, digits=6)
        write_csv(refits.empty(), files.loo)
        empty = xr.DataTree(dataset=xr.Dataset(attrs={"status": status, "note": note}))
        save_posterior(empty, files.posterior)
        return
    write_csv(result.summary, files.summary)
    write_json(result.diagnostics, files.diagnostics, digits=6)
    write_csv(result.loo, files.loo)
    written = {} if written is None else written
    if id(result.tree) in written:
        write_with(files.posterior, lambda tmp: shutil.copyfile(written[id(result.tree)], tmp))
    else:
        save_posterior(result.tree, files.posterior)
        written[id(result.tree)] = files.posterior


def run_fits(
    model: ModelSettings,
    specs: Mapping[str, PriorSpec],
    tables: Mapping[tuple[str, str], pd.DataFrame],
    outputs: Mapping[tuple[str, str, str], FitFiles],
) -> ModelStage:
    """Fit every analysis table ``(evidence, analysis)`` under every prior in ``specs`` and write
    the files ``outputs[(evidence, analysis, prior)]``, with one compiled model."""
    n_trials = max([len(trial_rows(t)) for t in tables.values()] + [1])
    stage = ModelStage(model, n_trials)
    written: dict[int, str] = {}
    for name, spec in specs.items():
        for (evidence, analysis), table in tables.items():
            result = stage.fit(evidence, model.analyses[analysis], spec, table)
            write_fit(result, outputs[(evidence, analysis, name)], written)
    return stage
