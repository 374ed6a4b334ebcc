"""The rate stage: every analysis whose counts are events, fitted with the Poisson rate model.

An analysis whose unit is events (:attr:`hatmeta.evidence_rules.TrialCounts.counts_events`) is
not modelled by the binomial stage; here it is pooled as events over person-time
(:mod:`hatmeta.bayes.rates`) under the analysis's primary heterogeneity prior, sampled to the
same diagnostics targets. Every other analysis gets a file that says it is not a rate outcome,
so the stage's outputs do not depend on the data. The model is compiled only if some analysis
needs it, and once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from hatmeta import priors
from hatmeta.data.tables import included_arms
from hatmeta.evidence_rules import TrialCounts, record
from hatmeta.io import write_csv, write_json

if TYPE_CHECKING:
    from hatmeta.bayes.rates import RateRunner
    from hatmeta.config import ModelSettings, PriorSpec

log = logging.getLogger("hatmeta.bayes")

#: Status of an analysis the rate stage does not fit, and why.
NOT_RATES = {
    "not a rate outcome": "the counts are of participants, not of events; see the binomial fit",
    "no data": "no trial in this analysis has counts for both arms",
}


class RateFiles(NamedTuple):
    """The files of one analysis's rate fit (``hatmeta.layout.RATE_FILES``)."""

    rates: str
    diagnostics: str


def fit_rates(
    model: ModelSettings,
    specs: Mapping[str, PriorSpec],
    tables: Mapping[tuple[str, str], pd.DataFrame],
    outputs: Mapping[tuple[str, str], RateFiles],
    per: float,
) -> RateRunner | None:
    """Fit every event-count analysis table ``(evidence, analysis)`` and write ``outputs``.

    Returns the runner (for its compile time), or None when no analysis counts events.
    """
    event_tables = {
        key: table
        for key, table in tables.items()
        if not included_arms(table).empty and TrialCounts.of(table).counts_events
    }
    for key, table in tables.items():
        if key not in event_tables:
            status = "not a rate outcome" if not included_arms(table).empty else "no data"
            note = NOT_RATES[status]
            write_csv(pd.DataFrame([{"quantity": "status", "note": note}]), outputs[key].rates)
            write_json({"status": status, "note": note}, outputs[key].diagnostics, digits=6)
    if not event_tables:
        return None
    return _fit_events(model, specs, event_tables, outputs, per)


def _fit_events(
    model: ModelSettings,
    specs: Mapping[str, PriorSpec],
    event_tables: Mapping[tuple[str, str], pd.DataFrame],
    outputs: Mapping[tuple[str, str], RateFiles],
    per: float,
) -> RateRunner:
    """Fit the event-count tables with one compiled rate model."""
    # Imported here: PyMC and ArviZ cost seconds to import, which a review without event
    # counts (most of them) should not pay in this job.
    from hatmeta.bayes.diagnostics import enforce, thresholds
    from hatmeta.bayes.rates import (
        RateData,
        RateRunner,
        describe_exposure,
        exposures,
        summarise_rates,
    )

    n_slots = max(len(TrialCounts.of(t).trials) for t in event_tables.values())
    runner = RateRunner(
        n_slots, model.sampler, effect_sd=model.effect_sd, baseline_sd=model.baseline_sd
    )
    for key, table in event_tables.items():
        evidence, name = key
        analysis = model.analyses[name]
        where = f"{evidence}/{name}"
        prior = priors.resolve(
            specs[analysis.primary_prior], analysis.outcome, model.turner_comparison
        )
        arms = exposures(included_arms(table))
        data = RateData.from_arms(arms, runner.n_trials)
        fit = runner.fit(data, prior, model.gate)
        if fit.failures:
            tried = "; ".join(a.describe() for a in fit.attempts)
            enforce(model.gate, [*fit.failures, f"tried: {tried}"], f"{where} (rates)", prior.name)
        exposure = describe_exposure(arms)
        summary = summarise_rates(fit.tree, data.control_rate(), per)
        status = "flagged" if fit.failures else "passed"
        summary = summary.assign(
            status=status,
            prior=prior.name,
            n_trials=len(data.trials),
            **exposure,
        )
        diagnostics: dict[str, Any] = fit.diagnostics | {
            "status": status,
            "failures": list(fit.failures),
            "prior": prior.label,
            "thresholds": thresholds(model.gate),
            "n_trials": len(data.trials),
            "attempts": fit.record(),
            "evidence": record(TrialCounts.of(table), analysis),
            "person_years": arms[["trial", "role", "events", "person_years"]].to_dict("records"),
            **exposure,
        }
        write_csv(summary, outputs[key].rates)
        write_json(diagnostics, outputs[key].diagnostics, digits=6)
        log.info("%s (rates) under %s: %s", where, prior.name, status)
    return runner
