"""The modelling stage: every analysis under every prior, leave-one-out, the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from bayes_data import HN05, MORTALITY, RETENTION, SAMPLER, fit_data

from hatmeta.bayes.diagnostics import ConvergenceError
from hatmeta.bayes.stage import ModelStage, run_fits, write_fit
from hatmeta.data.tables import build_tables
from hatmeta.layout import FitFiles


@pytest.fixture(scope="module")
def built(project_settings):
    s = project_settings
    return build_tables(s.data.extraction, s.data.bibliography, s.extract)


@pytest.fixture(scope="module")
def stage(project_settings):
    return ModelStage(project_settings.model._replace(sampler=SAMPLER), n_trials=6)


def test_leave_one_out(stage) -> None:
    loo = stage.leave_one_out(fit_data(RETENTION, 6), HN05, "test")
    assert list(loo["left_out"]) == [r[0] for r in RETENTION]
    assert (loo["n_included"] == 3).all()
    assert (loo["OR_lower"] < loo["OR_median"]).all()
    assert (loo["OR_median"] < loo["OR_upper"]).all()
    assert (loo["failures"] == "").all()
    # CA2009 has by far the largest observed OR: leaving it out lowers the pooled OR the most.
    assert loo.set_index("left_out")["OR_median"].idxmin() == "CA2009"
    assert stage.leave_one_out(fit_data(MORTALITY, 6), HN05, "test").empty


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
