"""GRADE certainty of counts of events (hatmeta.certainty.events): every domain from the rate
model's files (constructed as the rate stage writes them) on both sides of its thresholds, the
approximation of person-time as indirectness, the sparse-data rule, overrides, and a row whose
numbers are those of rates.csv."""

from __future__ import annotations

import math

import numpy as np
import pytest
from certainty_data import bare_settings, rate_fit

from hatmeta.certainty import publication_bias, risk_of_bias
from hatmeta.certainty.assess import assess_analysis, certainty_table
from hatmeta.config import Analysis, Outcome, Override
from hatmeta.report.format import fmt_ratio
from hatmeta.report.grade import sof_frame

HARM = Outcome("harm", "harmful event", False, None)
GOOD = Outcome("good", "good event", True, None)
#: Three trials of event counts: (trial, events_t, participants_t, events_c, participants_c).
ROWS = [("A", 30, 100, 10, 100), ("B", 60, 400, 30, 400), ("C", 8, 50, 4, 50)]


def analysis(outcome=HARM, name="e1", trials=("A", "B", "C")):
    return Analysis(name, "Events one", outcome, ("m1",), trials, "hn", "", False)


@pytest.fixture
def settings(project_settings):
    return bare_settings(project_settings, {"e1": analysis()})


def assessed(tmp_path, settings, rows=ROWS, rob=None, outcome=HARM, **kwargs):
    rates, fit = rate_fit(tmp_path, rows, **kwargs)
    row, test = assess_analysis(analysis(outcome), fit, rob, settings, rates)
    return row, test, rates


def rob_table(judgements):
    import pandas as pd

    return pd.DataFrame(
        [
            {"line": i + 2, "trial": t, "outcome": "", "domain": "overall", "judgement": j}
            for i, (t, j) in enumerate(judgements.items())
        ]
    )


# --- which model rates the analysis --------------------------------------------------------


def test_counts_of_events_are_rated_from_the_rate_fit_and_not_without_one(tmp_path, settings):
    rates, fit = rate_fit(tmp_path, ROWS)
    without, _ = assess_analysis(analysis(), fit, None, settings)
    assert without["certainty"] == "not rated" and without["status"] == "not modelled"
    row, _ = assess_analysis(analysis(), fit, None, settings, rates)
    assert row["effect_measure"] == "rate ratio" and row["certainty"] != "not rated"
    assert row["status"] == "passed" and row["n_participants"] == 1100
    # the rate stage's file of an analysis that is not a rate outcome has no result
    empty = rates.__class__(None, {"status": "not a rate outcome"})
    assert assess_analysis(analysis(), fit, None, settings, empty)[0]["certainty"] == "not rated"


# --- risk of bias --------------------------------------------------------------------------


def test_rate_weights_are_the_rate_models_inverse_variances():
    from certainty_data import trials

    from hatmeta.bayes.rates import _log_rate_ratio_variance

    table = trials([*ROWS, ("Z", 0, 40, 3, 40)])
    weights = risk_of_bias.log_rate_ratio_weights(table)
    variance = _log_rate_ratio_variance(table["events_control"], table["events_treatment"])
    assert weights.to_numpy() == pytest.approx(1 / variance)
    assert weights["A"] == pytest.approx(1 / (1 / 30 + 1 / 10))
    assert weights["Z"] == pytest.approx(1 / (1 / 0.5 + 1 / 3.5))  # 0.5 added to a zero count


def test_risk_of_bias_weighs_trials_by_their_log_rate_ratio(tmp_path, settings):
    from certainty_data import trials

    rows = [ROWS[0], ("B", 300, 400, 200, 400), ROWS[2]]  # B: frequent events
    table = trials(rows)
    rate = risk_of_bias.log_rate_ratio_weights(table)
    odds = risk_of_bias.log_or_weights(table)
    rate_share, or_share = rate["B"] / rate.sum(), odds["B"] / odds.sum()
    assert abs(rate_share - or_share) > 0.05  # the weights differ enough to tell them apart
    judged = rob_table({"A": "low", "B": "high", "C": "low"})
    for threshold, level in ((rate_share - 0.01, 2), (rate_share + 0.01, 1)):
        changed = settings._replace(rob_very_serious_high_share=threshold)
        row, _, _ = assessed(tmp_path, changed, rows=rows, rob=judged)
        assert row["risk_of_bias_level"] == level, row["risk_of_bias_reason"]
    between = settings._replace(rob_very_serious_high_share=(rate_share + or_share) / 2)
    row, _, _ = assessed(tmp_path, between, rows=rows, rob=judged)
    assert row["risk_of_bias_level"] == (2 if rate_share > or_share else 1)
    assert f"{100 * rate_share:.0f}% of the inverse-variance weight" in row["risk_of_bias_reason"]


# --- inconsistency -------------------------------------------------------------------------


@pytest.mark.parametrize(("tau", "level"), [(0.45, 0), (0.55, 1), (0.95, 1), (1.05, 2)])
def test_inconsistency_from_the_rate_models_tau(tmp_path, settings, tau, level):
    row, _, rates = assessed(tmp_path, settings, tau=tau, new_sd=0.1)
    assert row["inconsistency_level"] == level
    assert row["tau_median"] == rates.summary.at["tau", "median"]
    assert (
        f"Posterior median tau {rates.summary.at['tau', 'median']:.2f}"
        in (row["inconsistency_reason"])
    )
    assert "I² not available" in row["inconsistency_reason"]


def test_a_new_trials_rate_ratio_reaching_past_one_is_serious(tmp_path, settings):
    crossing, _, rates = assessed(tmp_path, settings, log_rr=(1.0, 0.2), new_sd=0.6)
    new = rates.summary.loc["rate_ratio_new_trial"]
    pooled = rates.summary.loc["rate_ratio"]
    assert new["lower"] < 1 < pooled["lower"]
    assert crossing["inconsistency_level"] == 1
    assert (
        f"95% prediction interval of the rate ratio {new['lower']:.2f} to {new['upper']:.2f} "
        "reaches the other side of 1"
    ) in crossing["inconsistency_reason"]
    inside, _, rates = assessed(tmp_path, settings, log_rr=(1.0, 0.2), new_sd=0.3)
    assert rates.summary.at["rate_ratio_new_trial", "lower"] > 1
    assert inside["inconsistency_level"] == 0


# --- indirectness --------------------------------------------------------------------------


def test_approximated_person_time_makes_indirectness_serious(tmp_path, settings):
    approximated, _, rates = assessed(tmp_path, settings)
    assert rates.diagnostics["exposure_approximated"] is True
    assert approximated["indirectness_level"] == 1
    assert approximated["indirectness_reason"].startswith("Person-time approximated")
    assert "Indirectness: serious. Person-time approximated" in approximated["footnotes"]
    published, _, rates = assessed(tmp_path, settings, published=True)
    assert rates.diagnostics["exposure_approximated"] is False
    assert published["indirectness_level"] == 0
    assert published["indirectness_reason"] == "No reason for indirectness found."


def test_the_approximation_is_one_reason_among_the_analysiss(tmp_path, settings):
    panel = settings._replace(analysis_indirect={"e1": "another population"})
    row, _, _ = assessed(tmp_path, panel)
    assert row["indirectness_level"] == 1  # two reasons, one level by default
    assert row["indirectness_reason"].startswith("Judged indirect: another population; ")
    assert "; person-time approximated" in row["indirectness_reason"]
    strict = panel._replace(indirect_very_serious_with_two=True)
    assert assessed(tmp_path, strict)[0]["indirectness_level"] == 2
    assert assessed(tmp_path, strict, published=True)[0]["indirectness_level"] == 1


# --- imprecision ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("median", "sd", "crossed"),
    [
        (math.log(3.0), 0.1, 0),  # clearly beyond the relevant harm (rate ratio 1.5)
        (math.log(1.5), 0.1, 1),  # around the relevant harm only
        (math.log(1.2), 0.25, 2),  # from below the null to beyond the relevant harm
        (0.0, 0.6, 3),  # all three: capped at very serious
    ],
)
def test_imprecision_counts_rate_ratio_thresholds_crossed(tmp_path, settings, median, sd, crossed):
    row, _, rates = assessed(tmp_path, settings, log_rr=(median, sd), published=True)
    assert row["imprecision_level"] == min(crossed, 2), row["imprecision_reason"]
    ratio = rates.summary.loc["rate_ratio"]
    span = f"95% CrI of the rate ratio {ratio['lower']:.2f} to {ratio['upper']:.2f}"
    assert row["imprecision_reason"].startswith(span)
    if crossed in (1, 2):
        # a harm: the relevant harm is the configured ratio t
        assert f"relevant harm (rate ratio {settings.relevant_or:.2f})" in row["imprecision_reason"]
    if crossed == 0:
        assert "optimal information size not computed for rates" in row["imprecision_reason"]


def test_the_relevant_ratio_follows_the_direction_of_the_outcome(tmp_path, settings):
    t = settings.relevant_or
    # rate ratio about 1.5: the relevant harm of a harmful event, the benefit of a good one
    harm, _, _ = assessed(tmp_path, settings, log_rr=(math.log(t), 0.1), outcome=HARM)
    good, _, _ = assessed(tmp_path, settings, log_rr=(math.log(t), 0.1), outcome=GOOD)
    assert f"relevant harm (rate ratio {t:.2f})" in harm["imprecision_reason"]
    assert f"relevant benefit (rate ratio {t:.2f})" in good["imprecision_reason"]
    changed = settings._replace(relevant_or=2.0)
    row, _, _ = assessed(tmp_path, changed, log_rr=(math.log(t), 0.1))
    assert row["imprecision_level"] == 0  # now between the null and the relevant ratio


# --- publication bias ----------------------------------------------------------------------


def test_publication_bias_on_log_rate_ratios(tmp_path, settings):
    row, test, _ = assessed(tmp_path, settings)
    assert test is None and row["publication_bias"] == "not assessed"
    assert "fewer than 10" in row["publication_bias_reason"]
    rows = [
        (f"T{i}", e_t, n, e_c, n)
        for i, (e_t, e_c, n) in enumerate(
            [(30, 10, 100), (60, 30, 400), (8, 4, 50), (12, 9, 80), (40, 22, 300), (5, 1, 30)]
        )
    ]
    fewer = settings._replace(publication_min_trials=6)
    row, test, _ = assessed(tmp_path, fewer, rows=rows)
    # each trial's log rate ratio and its variance, by hand: every arm followed one year
    events = np.array([(e_t, e_c) for _, e_t, _, e_c, _ in rows], dtype=float)
    years = np.array([(n, n) for *_, n in rows], dtype=float)
    yi = np.log(events[:, 0] / years[:, 0]) - np.log(events[:, 1] / years[:, 1])
    vi = 1 / events[:, 0] + 1 / events[:, 1]
    expected = publication_bias.regression_test(yi, vi, predictor="sei")
    assert test is not None and test.p == pytest.approx(expected.p)
    assert row["publication_bias_p"] == pytest.approx(expected.p)
    assert test.p != pytest.approx(
        publication_bias.regression_test(
            *publication_bias.trial_log_odds_ratios(rate_fit(tmp_path, rows)[1].trials)
        ).p
    )


# --- sparse data, overrides ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([ROWS[0]], "1 trial (fewer than 2)"),
        ([("A", 3, 100, 1, 100), ("B", 2, 90, 1, 90)], "7 events (fewer than 10)"),
    ],
)
def test_sparse_data_give_counts_and_certainty_but_no_estimate(tmp_path, settings, rows, why):
    row, _, _ = assessed(tmp_path, settings, rows=rows)
    assert row["status"] == "insufficient evidence" and row["reason"] == why
    assert row["imprecision_level"] == 2 and f"Sparse data: {why}" in row["imprecision_reason"]
    assert math.isnan(row["rate_ratio_median"]) and "risk_difference" not in row
    assert row["statement"].startswith("No pooled estimate of the effect of")
    rates, fit = rate_fit(tmp_path, rows)
    sof = sof_frame(certainty_table(settings, {"e1": fit}, None, {"e1": rates})[0])
    assert sof.at[0, "relative_effect"].startswith("not estimated (insufficient evidence")


def test_overrides_apply_to_counts_of_events(tmp_path, settings):
    row, _, _ = assessed(tmp_path, settings)
    assert row["indirectness_level"] == 1
    chosen = {"e1": {"indirectness": Override(0, "person-time close to complete follow-up")}}
    overridden, _, _ = assessed(tmp_path, settings._replace(overrides=chosen))
    assert overridden["indirectness_level"] == 0 and overridden["rating"] == row["rating"] + 1
    assert (
        "overridden by the panel: person-time close to complete follow-up"
        in (overridden["footnotes"])
    )


# --- the row: numbers from rates.csv, the relative and absolute effects, the statement ----


def test_the_rows_numbers_are_those_of_rates_csv(tmp_path, settings):
    rates, fit = rate_fit(tmp_path, ROWS, log_rr=(math.log(3.2), 0.35))
    frame, _ = certainty_table(settings, {"e1": fit}, None, {"e1": rates})
    row = frame.iloc[0]
    summary = rates.summary
    for column, quantity in (
        ("rate_ratio", "rate_ratio"),
        ("rate_treatment", "rate_treatment"),
        ("rate_difference", "rate_difference"),
    ):
        for stat in ("median", "lower", "upper"):
            assert row[f"{column}_{stat}"] == summary.at[quantity, stat]
    assert row["control_rate"] == summary.at["rate_control", "median"]
    assert row["control_rate_basis"] == summary.at["rate_control", "note"]
    assert row["rate_unit"] == "events per 100 person-years"
    sof = sof_frame(frame).iloc[0]
    ratio = summary.loc["rate_ratio"]
    assert sof["relative_effect"] == (
        f"Rate ratio {fmt_ratio(ratio['median'])} "
        f"({fmt_ratio(ratio['lower'])} to {fmt_ratio(ratio['upper'])})"
    )
    control = summary.at["rate_control", "median"]
    assert sof["risk_with_control"] == (
        f"{control:.1f} events per 100 person-years ({summary.at['rate_control', 'note']})"
    )
    diff = summary.loc["rate_difference"]
    assert sof["risk_difference"] == (
        f"{diff['median']:.1f} more events per 100 person-years "
        f"({diff['lower']:.1f} more to {diff['upper']:.1f} more)"
    )
    assert "1. " in sof["footnotes"] and "Person-time approximated" in sof["footnotes"]


@pytest.mark.parametrize(
    ("log_rr", "published", "words"),
    [
        ((math.log(3.0), 0.1), True, "Compared with oral methadone, SIH increases"),
        ((math.log(3.0), 0.1), False, "SIH probably increases"),  # indirect: approximated
        ((math.log(1.2), 0.03), True, "SIH results in little to no difference in"),
        ((math.log(0.3), 0.1), True, "SIH reduces"),
    ],
)
def test_statements_word_certainty_and_size(tmp_path, settings, log_rr, published, words):
    row, _, rates = assessed(tmp_path, settings, log_rr=log_rr, published=published, new_sd=0.02)
    assert words in row["statement"], row["statement"]
    assert "the rate of the event 'harmful event'" in row["statement"]
    diff = rates.summary.at["rate_difference", "median"]
    direction = "more" if diff > 0 else "fewer"
    assert f"{abs(diff):.1f} {direction} events per 100 person-years, 95% CrI" in row["statement"]


def test_very_low_certainty_is_very_uncertain(tmp_path, settings):
    judged = rob_table({"A": "high", "B": "high", "C": "high"})
    row, _, _ = assessed(tmp_path, settings, rob=judged, tau=1.2)
    assert row["rating"] == 1
    assert row["statement"].startswith("The evidence is very uncertain about the effect of SIH")


def test_the_funnel_figure_of_a_rate_analysis_gives_the_test_not_an_odds_ratio_plot(
    tmp_path, settings
):
    from hatmeta.certainty.stage import funnel_figure

    rows = [(f"T{i}", 10 + 3 * i, 100 + 20 * i, 6 + i, 100 + 20 * i) for i in range(6)]
    fewer = settings._replace(publication_min_trials=6)
    _, test, _ = assessed(tmp_path, fewer, rows=rows)
    fit = rate_fit(tmp_path, rows)[1]
    figure = funnel_figure(fewer, "e1", fit, test, "rate ratio")
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    # p is 5e-6 here: shown as "p < 0.001" (hatmeta.report.format.fmt_p), never "p = 0.000"
    assert test.p < 0.001
    assert any("p < 0.001, on the trials' log rate ratios" in t for t in texts)
    odds = funnel_figure(fewer, "e1", fit, test, "OR")
    assert odds.axes[0].get_ylabel() == "Standard error of the log OR"
