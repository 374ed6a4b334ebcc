"""Posterior summaries: the reported quantities, their intervals, and risks at a baseline."""

from __future__ import annotations

import numpy as np
import pytest
from bayes_data import GATE, HN05, RETENTION, fit_data

from hatmeta.bayes.summaries import pooled_summary, summarise
from hatmeta.evidence_rules import Baseline
from hatmeta.intervals import interval


def test_summary_quantities(retention_fit) -> None:
    summary = summarise(
        retention_fit, higher_is_better=True, relevant_or=1.25, baseline=Baseline(0.5, "x")
    )
    assert list(summary.columns) == [
        "quantity",
        "median",
        "lower",
        "upper",
        "mean",
        "scale",
        "note",
    ]
    table = summary.set_index("quantity")
    for name in ("OR", "RR", "RD", "tau", "OR_predictive", "OR_shrunken[DE2007]"):
        row = table.loc[name]
        assert row["lower"] < row["median"] < row["upper"], name
    # The predictive interval of a new trial is wider than the pooled one.
    assert table.loc["OR_predictive", "upper"] > table.loc["OR", "upper"]
    assert table.loc["P(benefit)", "mean"] == table.loc["P(OR>1)", "mean"]
    relevant = table.loc["P(clinically relevant benefit)", "mean"]
    assert 0 <= relevant <= table.loc["P(benefit)", "mean"] <= 1
    assert table.loc["OR_observed[CA2009]", "median"] == pytest.approx(
        (101 * 51) / (14 * 60), rel=1e-9
    )


def test_intervals_are_the_equal_tailed_quantiles() -> None:
    draws = np.random.default_rng(3).standard_t(3, size=8001)
    lower, median, upper = interval(draws)
    np.testing.assert_allclose(
        [lower, median, upper], np.quantile(draws, [0.025, 0.5, 0.975]), rtol=1e-12
    )


def test_risk_ratio_and_difference_at_a_stated_baseline(runner) -> None:
    data = fit_data(RETENTION).without("CA2009")
    tree = runner.fit(data, HN05, GATE).tree
    summary = summarise(
        tree, higher_is_better=True, relevant_or=1.25, baseline=Baseline(0.4, "a source")
    ).set_index("quantity")
    assert "OR_shrunken[CA2009]" not in summary.index
    odds_ratio = np.exp(tree["posterior"]["d"].values.ravel())
    treated = 0.4 * odds_ratio / (0.6 + 0.4 * odds_ratio)
    assert summary.at["RR", "median"] == pytest.approx(np.median(treated / 0.4), rel=1e-9)
    assert summary.at["RD", "lower"] == pytest.approx(np.quantile(treated - 0.4, 0.025))
    assert summary.at["baseline_risk", "median"] == 0.4
    assert "a source" in summary.at["RR", "note"]
    # Without a baseline (e.g. mixed outcome definitions) there is no RR or RD at all.
    bare = summarise(tree, higher_is_better=True, relevant_or=1.25)
    assert not {"RR", "RD", "baseline_risk"} & set(bare["quantity"])


def test_pooled_summary_matches_the_full_summary(retention_fit) -> None:
    row = pooled_summary(retention_fit)
    table = summarise(retention_fit, higher_is_better=True, relevant_or=1.25).set_index("quantity")
    assert row["OR_median"] == table.loc["OR", "median"]
    assert (row["OR_lower"], row["OR_upper"]) == (
        table.loc["OR", "lower"],
        table.loc["OR", "upper"],
    )
    assert row["P(OR>1)"] == table.loc["P(OR>1)", "mean"]
