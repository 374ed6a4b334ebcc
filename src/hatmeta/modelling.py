"""The modelling stage: every analysis x evidence set under one heterogeneity prior.

One process compiles the model once and fits every analysis (and its leave-one-out refits) by
swapping data, because compiling costs seconds and sampling a fraction of one. Results of
identical inputs are reused: an analysis whose data do not change between evidence sets is not
sampled twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from hatmeta import priors
from hatmeta.fitting import (
    ConvergenceError,
    DiagnosticThresholds,
    FitData,
    HeterogeneityPrior,
    ModelRunner,
    SamplerSettings,
    check_diagnostics,
    compute_diagnostics,
    fit_leave_one_out,
    save_diagnostics,
    save_posterior,
    summarise,
)
from hatmeta.io import fit_dir, write_csv, write_json

log = logging.getLogger("hatmeta.modelling")

FIT_FILES = ("posterior.nc", "summary.csv", "diagnostics.json", "loo.csv", "trials.csv")


def included_arms(table: pd.DataFrame) -> pd.DataFrame:
    """The included rows of an analysis table (two per trial), in table order."""
    return table[table["included"].astype(bool)].reset_index(drop=True)


def trial_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One row per included trial with its label, measure and both arms' counts."""
    arms = included_arms(table)
    if arms.empty:
        return pd.DataFrame(
            columns=[
                "trial",
                "label",
                "measure",
                "definition",
                "status_treatment",
                "status_control",
                "events_treatment",
                "total_treatment",
                "events_control",
                "total_control",
                "arm_control",
            ]
        )
    wide = arms.pivot(
        index="trial", columns="role", values=["events", "total", "status", "arm"]
    ).loc[pd.unique(arms["trial"])]
    first = arms.drop_duplicates("trial").set_index("trial")
    out = pd.DataFrame(
        {
            "trial": wide.index,
            "label": [f"{first.at[t, 'country']} {int(first.at[t, 'year'])}" for t in wide.index],
            "measure": first["measure"].to_numpy(),
            "definition": first["definition"].to_numpy(),
            "status_treatment": wide[("status", "treatment")].to_numpy(),
            "status_control": wide[("status", "control")].to_numpy(),
            "events_treatment": wide[("events", "treatment")].astype(int).to_numpy(),
            "total_treatment": wide[("total", "treatment")].astype(int).to_numpy(),
            "events_control": wide[("events", "control")].astype(int).to_numpy(),
            "total_control": wide[("total", "control")].astype(int).to_numpy(),
            "arm_control": wide[("arm", "control")].to_numpy(),
        }
    )
    return out.reset_index(drop=True)


@dataclass
class StageSettings:
    """Everything the stage needs from the config, checked and typed once."""

    sampler: SamplerSettings
    thresholds: DiagnosticThresholds
    on_failure: str
    seed: int
    effect_sd: float
    baseline_sd: float
    relevant_or: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StageSettings:
        sampler = dict(config["sampler"])
        seed = sampler.pop("seed")
        diagnostics = dict(config["diagnostics"])
        thresholds = DiagnosticThresholds(
            rhat_max=diagnostics["r_hat_max"],
            ess_bulk_min=diagnostics["ess_bulk_min"],
            ess_tail_min=diagnostics["ess_tail_min"],
            divergences_max=diagnostics["divergences_max"],
        )
        return cls(
            sampler=SamplerSettings.from_dict(sampler),
            thresholds=thresholds,
            on_failure=diagnostics["on_failure"],
            seed=int(seed),
            effect_sd=float(config["priors"]["effect_sd"]),
            baseline_sd=float(config["priors"]["baseline_sd"]),
            relevant_or=float(config["clinically_relevant_odds_ratio"]),
        )


def heterogeneity_prior(config: Mapping[str, Any], prior: str, analysis: str) -> HeterogeneityPrior:
    """The named prior resolved for an analysis (Turner priors depend on its outcome)."""
    outcome = config["outcomes"][config["analyses"][analysis]["outcome"]]
    spec = priors.resolve(
        prior,
        config["priors"]["heterogeneity"][prior],
        outcome,
        config["comparison"]["turner_comparison"],
    )
    return HeterogeneityPrior.from_dict(prior, {k: v for k, v in spec.items() if k != "name"})


def _data_key(data: FitData, prior: HeterogeneityPrior) -> str:
    digest = hashlib.sha256()
    for name, values in data.data_arrays().items():
        digest.update(name.encode() + np.ascontiguousarray(values).tobytes())
    digest.update(repr((data.trials, prior)).encode())
    return digest.hexdigest()


class PriorStage:
    """Fit every (evidence set, analysis) under one heterogeneity prior, one compiled model."""

    def __init__(self, config: Mapping[str, Any], prior: str, n_trials: int):
        self.config = config
        self.prior = prior
        self.settings = StageSettings.from_config(config)
        self.runner = ModelRunner(
            n_trials,
            self.settings.sampler,
            effect_sd=self.settings.effect_sd,
            baseline_sd=self.settings.baseline_sd,
        )
        self._done: dict[str, dict[str, Any]] = {}
        self.timings: list[dict[str, Any]] = []

    def check_gate(self, failures: list[str], where: str) -> None:
        """Raise :class:`ConvergenceError` for failed checks unless the config says flag."""
        if failures and self.settings.on_failure == "stop":
            raise ConvergenceError(where, self.prior, failures)

    def fit(self, evidence: str, analysis: str, table: pd.DataFrame) -> dict[str, Any]:
        """Fit one analysis table: posterior, summary, diagnostics, leave-one-out."""
        where = f"{evidence}/{analysis}"
        trials = trial_rows(table)
        if trials.empty:
            log.info("%s: no trial with counts; nothing to fit", where)
            return {"status": "no data", "trials": trials}
        prior = heterogeneity_prior(self.config, self.prior, analysis)
        data = FitData.from_arms(included_arms(table), self.runner.n_trials)
        key = _data_key(data, prior)
        if key in self._done:
            log.info(
                "%s: same data and prior as %s; reusing that fit", where, self._done[key]["where"]
            )
            return {**self._done[key], "trials": trials}
        start = time.perf_counter()
        tree = self.runner.fit(data, prior, self.settings.seed)
        diagnostics = compute_diagnostics(tree)
        failures = check_diagnostics(diagnostics, self.settings.thresholds)
        self.check_gate(failures, where)
        loo = fit_leave_one_out(
            self.runner, data, prior, self.settings.seed, thresholds=self.settings.thresholds
        )
        for row in loo.itertuples(index=False):
            self.check_gate(
                [f for f in row.failures.split("; ") if f], f"{where} without {row.left_out}"
            )
        outcome = self.config["outcomes"][self.config["analyses"][analysis]["outcome"]]
        summary = summarise(
            tree,
            higher_is_better=outcome["higher_is_better"],
            relevant_or=self.settings.relevant_or,
        )
        flagged = failures + [
            f"without {r.left_out}: {r.failures}" for r in loo.itertuples(index=False) if r.failures
        ]
        diagnostics |= {
            "status": "flagged" if flagged else "passed",
            "failures": flagged,
            "prior": prior.label,
            "thresholds": vars(self.settings.thresholds),
            "n_trials": len(data.included),
        }
        tree.attrs.update({"analysis": analysis, "evidence": evidence, "prior_label": prior.label})
        result = {
            "status": diagnostics["status"],
            "tree": tree,
            "summary": summary,
            "diagnostics": diagnostics,
            "loo": loo,
            "where": where,
        }
        self._done[key] = result
        self.timings.append(
            {"fit": where, "seconds": time.perf_counter() - start, "fits": 1 + len(loo)}
        )
        log.info(
            "%s: %s in %.1f s (%d fits incl. leave-one-out)",
            where,
            diagnostics["status"],
            time.perf_counter() - start,
            1 + len(loo),
        )
        return {**result, "trials": trials}


def write_fit(result: Mapping[str, Any], directory: str | Path) -> None:
    """Write one fit's files (see :data:`FIT_FILES`); a 'no data' fit writes placeholders."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(result["trials"], directory / "trials.csv")
    if result["status"] == "no data":
        note = "no trial in this analysis has counts for both arms"
        write_csv(pd.DataFrame([{"quantity": "status", "note": note}]), directory / "summary.csv")
        write_json(
            {"status": "no data", "failures": [], "note": note}, directory / "diagnostics.json"
        )
        write_csv(pd.DataFrame(columns=["left_out"]), directory / "loo.csv")
        empty = xr.DataTree(dataset=xr.Dataset(attrs={"status": "no data", "note": note}))
        save_posterior(empty, directory / "posterior.nc")
        return
    write_csv(result["summary"], directory / "summary.csv")
    save_diagnostics(result["diagnostics"], directory / "diagnostics.json")
    write_csv(result["loo"], directory / "loo.csv")
    save_posterior(result["tree"], directory / "posterior.nc")


def run_prior(
    config: Mapping[str, Any],
    prior: str,
    tables: Mapping[tuple[str, str], pd.DataFrame],
    out_root: str | Path,
) -> PriorStage:
    """Fit every analysis table under ``prior`` and write the files under ``out_root``."""
    n_trials = max([len(trial_rows(t)) for t in tables.values()] + [1])
    stage = PriorStage(config, prior, n_trials)
    for (evidence, analysis), table in tables.items():
        result = stage.fit(evidence, analysis, table)
        write_fit(result, fit_dir(out_root, evidence, analysis, prior))
    return stage
