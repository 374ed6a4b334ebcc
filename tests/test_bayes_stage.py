"""The modelling stage: every analysis under every prior, leave-one-out, the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bayes_data import HN05, ILLICIT, MORTALITY, RETENTION, SAMPLER, arms_table, fit_data

from hatmeta.bayes import refits
from hatmeta.bayes.diagnostics import ConvergenceError
from hatmeta.bayes.stage import ModelStage, run_fits, write_fit
from hatmeta.data.tables import build_tables
from hatmeta.layout import FitFiles


def with_arms(rows):
    """The arm table with arm names: SIH against OMMT."""
    return arms_table(rows).assign(
        arm=lambda t: t["role"].map({"treatment": "SIH", "control": "OMMT"})
    )


@pytest.fixture(scope="module")
def built(project_settings):
    s = project_settings
    return build_tables(s.data.extraction, s.data.bibliography, s.extract)


@pytest.fixture(scope="module")
def stage(project_settings):
    return ModelStage(project_settings.model._replace(sampler=SAMPLER), n_trials=6)


def test_leave_one_out(stage) -> None:
    loo = stage.refits(fit_data(RETENTION, 6), HN05, "test", with_arms(RETENTION))
    assert list(loo["left_out"]) == [r[0] for r in RETENTION]
    assert (loo["kind"] == "leave one out").all() and (loo["n_included"] == 3).all()
    assert (loo["OR_lower"] < loo["OR_median"]).all()
    assert (loo["OR_median"] < loo["OR_upper"]).all()
    assert (loo["failures"] == "").all()
    # CA2009 has by far the largest observed OR: leaving it out lowers the pooled OR the most,
    # and it is the trial the others predict least well.
    assert loo.set_index("left_out")["OR_median"].idxmin() == "CA2009"
    assert loo.set_index("left_out")["conflict_p"].idxmin() == "CA2009"
    assert loo["conflict_p"].between(0, 1).all()
    assert stage.refits(fit_data(MORTALITY, 6), HN05, "test", with_arms(MORTALITY)).empty


def test_trials_with_another_kind_of_control_are_left_out_together(stage) -> None:
    """Switzerland's control is conventional treatment: one more row, without it (the
    leave-one-out fit, not sampled again)."""
    arms = with_arms(ILLICIT)
    arms.loc[(arms["trial"] == "CH1998") & (arms["role"] == "control"), "arm"] = "CONV"
    sampled = len(stage.timings)
    rows = stage.refits(fit_data(ILLICIT, 6), HN05, "test", arms).set_index("kind")
    assert len(stage.timings) - sampled == len(ILLICIT)
    comparator = rows.loc["comparator: without trials whose control is CONV"]
    assert comparator["left_out"] == "CH1998" and comparator["n_included"] == 3
    alone = rows[rows["left_out"] == "CH1998"].iloc[0]
    assert comparator["OR_median"] == alone["OR_median"]


def test_conflict_p_value_against_a_normal_prediction() -> None:
    """With delta_new ~ N(0, 1) and variance 1, y = 1.96 sqrt(2) sits at p = 0.05."""
    draws = np.random.default_rng(0).normal(size=400_000)
    assert refits.conflict_p(draws, 1.96 * np.sqrt(2), 1.0) == pytest.approx(0.05, abs=0.002)
    assert refits.conflict_p(draws, 0.0, 1.0) == pytest.approx(1.0, abs=0.01)


def test_stage_fits_writes_and_reuses(stage, project_settings, built, tmp_path) -> None:
    settings = project_settings
    table = built["analyses"][("all", "retention")]
    spec = settings.prior("half_normal_0.5")
    result = stage.fit("all", settings.analysis("retention"), spec, table)
    assert result.status == "passed"
    gate = stage.model.gate
    assert result.diagnostics["thresholds"] == {
        "r_hat_max": gate.r_hat_max,
        "ess_bulk_min": gate.ess_bulk_min,
        "ess_tail_min": gate.ess_tail_min,
        "divergences_max": gate.divergences_max,
    }
    assert result.diagnostics["attempts"][-1]["failures"] == []
    assert result.diagnostics["min_ess_bulk"] >= gate.ess_bulk_min
    # Risk ratio and difference at the control arms' pooled risk, stated.
    summary = result.summary.set_index("quantity")
    control = result.diagnostics["evidence"]
    risk = control["control_events"] / control["control_participants"]
    assert summary.at["baseline_risk", "median"] == pytest.approx(risk)
    assert "pooled" in summary.at["RR", "note"]
    odds_ratio = summary.at["OR", "median"]
    treated = risk * odds_ratio / (1 - risk + risk * odds_ratio)
    assert summary.at["RR", "median"] == pytest.approx(treated / risk, rel=1e-6)
    # The exact normal-normal cross-check beside it, close for these large trials.
    assert summary.at["OR_normal_normal", "median"] == pytest.approx(odds_ratio, rel=0.05)
    # Leave-one-out refits under the analysis's primary prior only.
    assert list(result.loo["left_out"]) == list(result.trials["trial"])
    other = stage.fit("all", settings.analysis("retention"), settings.prior("turner2015"), table)
    assert other.loo.empty
    # The same data under the same prior in another evidence set is not sampled again.
    sampled = len(stage.timings)
    again = stage.fit("reported_only", settings.analysis("retention"), spec, table)
    assert again.tree is result.tree and len(stage.timings) == sampled
    files = FitFiles(*(str(tmp_path / name) for name in FitFiles._fields))
    write_fit(result, files)
    loaded = json.loads(Path(files.diagnostics).read_text())
    assert list(loaded) == sorted(loaded) and loaded["status"] == "passed"
    assert list(pd.read_csv(files.summary)["quantity"]) == list(result.summary["quantity"])
    sae = stage.fit("all", settings.analysis("sae"), spec, built["analyses"][("all", "sae")])
    assert sae.status == "not modelled" and "events, not of participants" in sae.note
    write_fit(sae, files)
    written = json.loads(Path(files.diagnostics).read_text())
    assert written["status"] == "not modelled" and written["evidence"]["units"] == ["events"]
    none = stage.fit(
        "reported_only",
        settings.analysis("mortality"),
        spec,
        built["analyses"][("reported_only", "mortality")],
    )
    assert none.status == "no data"
    write_fit(none, files)
    assert json.loads(Path(files.diagnostics).read_text())["status"] == "no data"


def test_a_fit_that_cannot_reach_its_targets_stops_the_run_naming_what_was_tried(
    project_settings, built, tmp_path
) -> None:
    model = project_settings.model._replace(
        sampler=SAMPLER._replace(draws=100, max_draws=200),
        gate=project_settings.model.gate._replace(ess_bulk_min=10**6),
    )
    tables = {("all", "retention"): built["analyses"][("all", "retention")]}
    outputs = {
        ("all", "retention", "half_normal_0.5"): FitFiles(
            *(str(tmp_path / name) for name in FitFiles._fields)
        )
    }
    specs = {"half_normal_0.5": project_settings.prior("half_normal_0.5")}
    with pytest.raises(ConvergenceError) as info:
        run_fits(model, specs, tables, outputs)
    message = str(info.value)
    assert "fit 'all/retention' with prior 'half_normal_0.5'" in message
    assert "ess_bulk" in message and "< 1e+06" in message
    assert "tried: 100 draws per chain at target_accept 0.9; 200 draws per chain" in message
