"""The modelling stage: every analysis under one prior, leave-one-out, the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from bayes_data import HN05, MORTALITY, RETENTION, SAMPLER, fit_data

from hatmeta.bayes.stage import PriorStage, write_fit
from hatmeta.config import PriorSpec
from hatmeta.data.tables import build_tables
from hatmeta.layout import FitFiles


@pytest.fixture(scope="module")
def stage(project_settings):
    model = project_settings.model._replace(
        sampler=SAMPLER._replace(draws=1000, tune=500),
        gate=project_settings.model.gate._replace(on_failure="flag"),
    )
    return PriorStage(model, PriorSpec("hn05", "half_normal", scale=0.5), n_trials=5)


def test_leave_one_out(stage) -> None:
    loo = stage.leave_one_out(fit_data(RETENTION), HN05, "test")
    assert list(loo["left_out"]) == [r[0] for r in RETENTION]
    assert (loo["n_included"] == 3).all()
    assert (loo["OR_lower"] < loo["OR_median"]).all()
    assert (loo["OR_median"] < loo["OR_upper"]).all()
    # CA2009 has by far the largest observed OR: leaving it out lowers the pooled OR the most.
    assert loo.set_index("left_out")["OR_median"].idxmin() == "CA2009"
    assert stage.leave_one_out(fit_data(MORTALITY), HN05, "test").empty


def test_stage_fits_writes_and_reuses(project_settings, tmp_path) -> None:
    settings = project_settings
    built = build_tables(settings.data.extraction, settings.data.bibliography, settings.extract)
    model = settings.model._replace(sampler=SAMPLER)
    stage = PriorStage(model, settings.prior("half_normal_0.5"), n_trials=6)
    table = built["analyses"][("all", "retention")]
    result = stage.fit("all", settings.analysis("retention"), table)
    assert result.status == "passed"
    assert result.diagnostics["thresholds"] == {
        "r_hat_max": model.gate.r_hat_max,
        "ess_bulk_min": model.gate.ess_bulk_min,
        "ess_tail_min": model.gate.ess_tail_min,
        "divergences_max": model.gate.divergences_max,
    }
    # The same data under the same prior in another evidence set is not sampled again.
    again = stage.fit("reported_only", settings.analysis("retention"), table)
    assert again.tree is result.tree and len(stage.timings) == 1
    files = FitFiles(*(str(tmp_path / name) for name in FitFiles._fields))
    write_fit(result, files)
    loaded = json.loads(Path(files.diagnostics).read_text())
    assert list(loaded) == sorted(loaded) and loaded["status"] == "passed"
    assert list(pd.read_csv(files.summary)["quantity"]) == list(result.summary["quantity"])
    none = stage.fit(
        "all", settings.analysis("mortality"), built["analyses"][("reported_only", "mortality")]
    )
    assert none.status == "no data"
    write_fit(none, files)
    assert json.loads(Path(files.diagnostics).read_text())["status"] == "no data"
