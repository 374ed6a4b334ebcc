"""GRADE certainty (hatmeta.certainty): every rule on constructed cases on both sides of its
thresholds, the overrides, the absolute effects and the statements; R as the oracle of the
funnel test and the optimal information size."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from certainty_data import THREE, bare_settings, draws, fit_inputs, trials
from oracles.grade import grade_oracle

from hatmeta.certainty import (
    imprecision,
    inconsistency,
    indirectness,
    publication_bias,
    risk_of_bias,
)
from hatmeta.certainty.absolute import absolute_effects, more_fewer
from hatmeta.certainty.assess import assess_analysis
from hatmeta.certainty.domains import Domain, override, rating, symbols
from hatmeta.certainty.statements import size, statement
from hatmeta.config import Analysis, Outcome, Override
from hatmeta.data.csvtext import ExtractionError

HARM = Outcome("harm", "harmful event", False, None)
GOOD = Outcome("good", "good event", True, None)


def analysis(outcome=GOOD, name="a1", one_definition=False, trials=("A", "B", "C")):
    return Analysis(name, "Analysis one", outcome, ("m1",), trials, "hn", "", one_definition)


@pytest.fixture
def settings(project_settings):
    return bare_settings(project_settings, {"a1": analysis()})


# --- risk of bias --------------------------------------------------------------------------


def rob_table(judgements: dict[str, str], outcome_rows=()) -> pd.DataFrame:
    rows = [
        {"line": i + 2, "trial": t, "outcome": "", "domain": "overall", "judgement": j}
        for i, (t, j) in enumerate(judgements.items())
    ]
    rows += [
        {"line": 100 + i, "trial": t, "outcome": o, "domain": "overall", "judgement": j}
        for i, (t, o, j) in enumerate(outcome_rows)
    ]
    return pd.DataFrame(rows)


def shares(table: pd.DataFrame) -> pd.Series:
    weights = risk_of_bias.log_or_weights(table)
    return weights / weights.sum()


def test_risk_of_bias_weight_shares_on_both_sides_of_each_threshold(settings):
    share = shares(THREE)
    high_b = share["B"]  # B carries most of the weight
    judged = rob_table({"A": "low", "B": "high", "C": "low"})
    just_below = settings._replace(rob_very_serious_high_share=high_b + 0.01)
    just_above = settings._replace(rob_very_serious_high_share=high_b - 0.01)
    assert risk_of_bias.assess(THREE, judged, analysis(), just_above).level == 2
    below = risk_of_bias.assess(THREE, judged, analysis(), just_below)
    assert below.level == 1  # high also counts towards the serious share (0.5 < B's share)
    assert f"{100 * high_b:.0f}% of the inverse-variance weight" in below.numbers
    concerns = rob_table({"A": "some_concerns", "B": "low", "C": "high"})
    s_concern = share["A"] + share["C"]
    above = settings._replace(rob_serious_share=s_concern - 0.01)
    under = settings._replace(rob_serious_share=s_concern + 0.01)
    assert risk_of_bias.assess(THREE, concerns, analysis(), above).level == 1
    assert risk_of_bias.assess(THREE, concerns, analysis(), under).level == 0


def test_inverse_variance_weights_are_woolf(settings):
    weights = risk_of_bias.log_or_weights(THREE)
    a = 1 / (1 / 20 + 1 / 80 + 1 / 10 + 1 / 90)
    assert weights["A"] == pytest.approx(a)


def test_not_found_counts_as_some_concerns_and_is_said(settings):
    table = rob_table({"A": "not_found", "B": "low", "C": "low"})
    share = shares(THREE)["A"]
    domain = risk_of_bias.assess(
        THREE, table, analysis(), settings._replace(rob_serious_share=share - 0.01)
    )
    assert domain.level == 1
    assert "No overall judgement was found (published) or derived (from RoB 2 answers) for A" in (
        domain.numbers
    )
    assert "counted as some concerns" in domain.numbers


def test_an_outcome_row_replaces_the_blank_row_for_that_outcome(settings):
    table = rob_table({"A": "low", "B": "low", "C": "low"}, [("B", "good", "high")])
    assert risk_of_bias.assess(THREE, table, analysis(GOOD), settings).level == 2
    assert risk_of_bias.assess(THREE, table, analysis(HARM), settings).level == 0


def test_without_a_file_risk_of_bias_is_not_assessed(settings):
    domain = risk_of_bias.assess(THREE, None, analysis(), settings)
    assert (domain.level, domain.assessed) == (0, False)
    assert "not assessed" in domain.footnote()


ROB_HEADER = "trial,outcome,domain,judgement,source,location,note\n"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("A,,overall,unclear,S1,p 3,", "judgement", "got 'unclear'"),
        ("A,,blinding,low,S1,p 3,", "domain", "got 'blinding'"),
        ("A,,overall,low,,,", "source", "needs its source key"),
        ("A,,overall,low,NOPE,p 3,", "source", "'NOPE' is not in the bibliography"),
        ("A,,overall,low,S1,,", "location", "say where in the source"),
        ("A,,overall,not_found,S1,p 3,", "source", "has no source or location"),
        ("A,nausea,overall,low,S1,p 3,", "outcome", "'nausea' is not defined in the config"),
    ],
)
def test_malformed_rows_name_file_line_and_column(tmp_path, row, column, message):
    path = tmp_path / "rob.csv"
    path.write_text(ROB_HEADER + "\n" + "B,,overall,low,S1,p 2,\n" + row + "\n")
    with pytest.raises(ExtractionError) as err:
        risk_of_bias.read_risk_of_bias(path, ["S1"], ["good", "harm"])
    text = str(err.value)
    assert f"{path}, line 4" in text and f"column '{column}'" in text and message in text


def test_duplicate_rows_and_coverage_are_named(tmp_path):
    path = tmp_path / "rob.csv"
    path.write_text(ROB_HEADER + "A,,overall,low,S1,p 2,\nA,,overall,high,S1,p 3,\n")
    with pytest.raises(ExtractionError, match=r"line 3.*duplicate of line 2"):
        risk_of_bias.read_risk_of_bias(path, ["S1"], ["good"])
    path.write_text(ROB_HEADER + "A,,overall,low,S1,p 2,\nZ,,overall,low,S1,p 3,\n")
    table = risk_of_bias.read_risk_of_bias(path, ["S1"], ["good"])
    problems = [
        str(p)
        for p in risk_of_bias.coverage_problems(table, str(path), ["A", "B"], {"a1": analysis()})
    ]
    assert any("line 3" in p and "'Z' is not in the sheet" in p for p in problems)
    assert any("analyses/a1" in p and "trial(s) B, C of analysis 'a1'" in p for p in problems)


# --- inconsistency -------------------------------------------------------------------------


@pytest.mark.parametrize(("tau", "level"), [(0.49, 0), (0.51, 1), (0.99, 1), (1.01, 2)])
def test_inconsistency_tau_thresholds(settings, tau, level):
    domain = inconsistency.assess(3, tau, (1.2, 2.0), (1.05, 3.0), 0.3, settings)
    assert domain.level == level
    assert f"tau {tau:.2f}" in domain.numbers and "I² 30%" in domain.numbers


def test_a_prediction_interval_reaching_past_one_is_serious(settings):
    crossing = inconsistency.assess(3, 0.2, (1.2, 2.0), (0.9, 3.0), 0.3, settings)
    assert crossing.level == 1 and "reaches the other side of 1" in crossing.numbers
    assert inconsistency.assess(3, 0.2, (1.2, 2.0), (1.01, 3.0), 0.3, settings).level == 0
    # a pooled interval containing 1 already: the prediction interval adds nothing
    assert inconsistency.assess(3, 0.2, (0.8, 2.0), (0.5, 3.0), 0.3, settings).level == 0
    off = settings._replace(prediction_interval=False)
    assert inconsistency.assess(3, 0.2, (1.2, 2.0), (0.9, 3.0), 0.3, off).level == 0


def test_one_trial_has_no_inconsistency_to_judge(settings):
    domain = inconsistency.assess(1, 0.9, (1.2, 2.0), (0.1, 9.0), float("nan"), settings)
    assert (domain.level, domain.assessed) == (0, False)


# --- indirectness --------------------------------------------------------------------------


def test_each_reason_for_indirectness_counts_once(settings):
    two_measures = trials([("A", 20, 100, 10, 100, "m1"), ("B", 20, 100, 10, 100, "m2")])
    assert indirectness.assess(analysis(), THREE, settings).level == 0
    assert indirectness.assess(analysis(), two_measures, settings).level == 1
    assert indirectness.assess(analysis(one_definition=True), two_measures, settings).level == 0
    other = trials([("A", 20, 100, 10, 100, "m1", "OTHER"), ("B", 20, 100, 10, 100)])
    domain = indirectness.assess(analysis(), other, settings)
    assert domain.level == 1 and "A compare(s) with a control of another kind (OTHER; 50%" in (
        domain.numbers
    )
    surrogate = settings._replace(outcome_indirect={"good": "a surrogate"})
    assert (
        indirectness.assess(analysis(), THREE, surrogate).numbers
    ) == "The outcome is indirect: a surrogate."
    panel = settings._replace(analysis_indirect={"a1": "another population"})
    assert indirectness.assess(analysis(), THREE, panel).level == 1


def test_two_reasons_are_very_serious_only_when_configured(settings):
    both = settings._replace(outcome_indirect={"good": "a surrogate"})
    two_measures = trials([("A", 20, 100, 10, 100, "m1"), ("B", 20, 100, 10, 100, "m2")])
    assert indirectness.assess(analysis(), two_measures, both).level == 1
    strict = both._replace(indirect_very_serious_with_two=True)
    assert indirectness.assess(analysis(), two_measures, strict).level == 2
    assert indirectness.assess(analysis(), THREE, strict).level == 1


# --- imprecision ---------------------------------------------------------------------------


def rd_interval(log_or, risk):
    from hatmeta.intervals import interval

    return interval(1000 * imprecision.risk_difference(log_or, risk))


@pytest.mark.parametrize(
    ("median", "sd", "crossed"),
    [
        (math.log(2.5), 0.1, 0),  # clearly beyond the benefit threshold (OR 1.5)
        (math.log(1.5), 0.1, 1),  # around the benefit threshold only
        (math.log(1.2), 0.3, 2),  # from below the null to beyond the benefit threshold
        (0.0, 0.6, 3),  # everything: capped at very serious
    ],
)
def test_imprecision_counts_thresholds_crossed(settings, median, sd, crossed):
    log_or = draws(median, sd)
    domain = imprecision.assess(log_or, 0.2, 100_000, True, "", settings)
    assert domain.level == min(crossed, 2), domain.numbers
    lower, _, upper = rd_interval(log_or, 0.2)
    span = f"{imprecision._signed(lower)} to {imprecision._signed(upper)} per 1000"
    assert span in domain.numbers


def test_the_thresholds_are_the_relevant_odds_ratio_at_the_control_risk():
    odds = imprecision.thresholds(1.5, higher_is_better=False)
    assert odds == {"benefit": 1 / 1.5, "null": 1.0, "harm": 1.5}
    rd = imprecision.risk_difference(math.log(1.5), 0.2)
    assert rd == pytest.approx(0.2 * 1.5 / (1 - 0.2 + 0.2 * 1.5) - 0.2)


def test_optimal_information_size_rates_down_a_large_effect_from_few_participants(settings):
    log_or = draws(math.log(3.0), 0.1)
    ois = imprecision.optimal_information_size(0.2, 0.25)
    fewer = imprecision.assess(log_or, 0.2, ois - 1, True, "", settings)
    enough = imprecision.assess(log_or, 0.2, ois, True, "", settings)
    assert (fewer.level, enough.level) == (1, 0)
    assert f"optimal information size of {ois}" in fewer.numbers
    # between the null and the relevant threshold (not a large effect): no OIS check
    small = imprecision.assess(draws(math.log(1.2), 0.03), 0.2, 10, True, "", settings)
    assert small.level == 0 and "optimal information size" not in small.numbers


def test_without_a_baseline_the_odds_ratio_is_rated(settings):
    wide = imprecision.assess(draws(0.3, 0.3), None, 500, True, "", settings)
    assert wide.level == 2 and "95% CrI of the OR" in wide.numbers
    narrow = imprecision.assess(draws(math.log(3), 0.1), None, 50, True, "", settings)
    assert narrow.level == 0 and "not checked (no baseline)" in narrow.numbers


def test_sparse_data_are_very_serious(settings):
    domain = imprecision.assess(draws(1, 0.1), 0.2, 10**6, True, "1 trial (fewer than 2)", settings)
    assert domain.level == 2 and "Sparse data: 1 trial" in domain.numbers


def test_optimal_information_size_is_power_prop_test():
    pairs = [(0.3, 0.225), (0.05, 0.0375), (0.62, 0.465), (0.2, 0.15)]
    expected = grade_oracle(pairs)["power"]
    for (p1, p2), r in zip(pairs, expected, strict=True):
        assert imprecision.power_prop_n(p1, p2) == pytest.approx(r["n"], rel=1e-6)
        assert imprecision.optimal_information_size(p1, 1 - p2 / p1) == 2 * math.ceil(r["n"])


# --- publication bias ----------------------------------------------------------------------


def bcg_trials(oracle) -> pd.DataFrame:
    t = oracle["trials"]
    rows = zip(range(13), t["ai"], t["n1i"], t["ci"], t["n2i"], strict=True)
    return trials([(f"T{i}", *counts) for i, *counts in rows])


@pytest.mark.parametrize("predictor", ["sei", "ninv"])
def test_funnel_test_matches_metafor_regtest_on_bcg(predictor):
    oracle = grade_oracle([])
    yi, vi, ni = publication_bias.trial_log_odds_ratios(bcg_trials(oracle))
    test = publication_bias.regression_test(yi, vi, ni, predictor)
    assert test.t == pytest.approx(oracle[predictor]["t"], rel=1e-9)
    assert test.p == pytest.approx(oracle[predictor]["p"], rel=1e-9)
    assert test.df == oracle[predictor]["df"] == 11


def test_the_funnel_test_is_footnoted_whatever_its_result(settings):
    from hatmeta.certainty.domains import footnoted

    oracle = grade_oracle([])
    quiet, _ = publication_bias.assess(bcg_trials(oracle), settings._replace(publication_p=0.01))
    others = [Domain("imprecision", 0, "r", "n"), quiet]
    assert footnoted(others) == [quiet]
    assert quiet.footnote().startswith("Publication bias: not serious. Regression test")


def test_funnel_test_threshold_and_too_few_trials(settings):
    oracle = grade_oracle([])
    table = bcg_trials(oracle)
    p = oracle["sei"]["p"]
    serious, _ = publication_bias.assess(table, settings._replace(publication_p=p + 0.001))
    assert serious.level == 1 and f"p = {p:.3f}" in serious.numbers
    assert publication_bias.assess(table, settings._replace(publication_p=p - 0.001))[0].level == 0
    few, none = publication_bias.assess(table.head(9), settings)
    assert (few.level, few.assessed, none) == (0, False, None)
    assert "not assessable" in few.numbers


# --- rating, overrides, absolute effects, statements ---------------------------------------


def test_rating_sums_levels_and_floors_at_very_low():
    domains = [Domain("risk_of_bias", 1, "r", "n"), Domain("imprecision", 2, "r", "n")]
    assert rating(domains) == 1 and symbols(1) == "⊕◯◯◯"
    assert rating(domains[:1]) == 3 and symbols(3) == "⊕⊕⊕◯"
    assert rating([*domains, Domain("indirectness", 2, "r", "n")]) == 1


def test_an_override_changes_the_rating_and_shows_its_reason(settings):
    fit = fit_inputs(THREE, draws(math.log(1.2), 0.4))
    row, _ = assess_analysis(analysis(), fit, None, settings)
    chosen = {"a1": {"imprecision": Override(0, "the panel judges the interval acceptable")}}
    overridden, _ = assess_analysis(analysis(), fit, None, settings._replace(overrides=chosen))
    assert row["imprecision_level"] == 2 and overridden["imprecision_level"] == 0
    assert overridden["rating"] == row["rating"] + 2
    assert "overridden: the panel judges the interval acceptable" in overridden["imprecision"]
    assert "overridden by the panel" in overridden["footnotes"]
    assert "the rule gave very serious" in overridden["footnotes"]


def test_override_keeps_the_rules_level_beside_it():
    domain = override(Domain("inconsistency", 2, "r", "n"), {"inconsistency": Override(1, "why")})
    assert (domain.level, domain.rule_level, domain.overridden) == (1, 2, "why")


def test_absolute_effects_are_computed_draw_by_draw():
    log_or = draws(0.4, 0.3)
    effect = absolute_effects(log_or, 0.3)
    odds = np.exp(log_or) * 0.3 / 0.7
    treated = 1000 * odds / (1 + odds)
    assert effect.control == pytest.approx(300)
    assert effect.intervention == pytest.approx(np.median(treated))
    assert effect.intervention_lower == pytest.approx(np.quantile(treated, 0.025))
    assert effect.difference_upper == pytest.approx(np.quantile(treated - 300, 0.975))
    assert effect.difference_text.startswith(f"{round(np.median(treated) - 300)} more per 1000")
    assert more_fewer(-3.4) == "3 fewer" and more_fewer(0.2) == "0 fewer/more"


def test_absolute_effects_in_the_row_at_every_configured_baseline(settings):
    from hatmeta.config import ExtraBaseline

    extra = settings._replace(
        baseline_risks={"good": (ExtraBaseline("high-risk population", 0.5, "a cohort"),)}
    )
    log_or = draws(math.log(2), 0.1)
    row, _ = assess_analysis(analysis(), fit_inputs(THREE, log_or, baseline=0.2), None, extra)
    direct = absolute_effects(log_or, 0.2)
    assert row["risk_difference"] == direct.difference_text
    assert row["control_per_1000"] == pytest.approx(200)
    assert "high-risk population (500 per 1000; a cohort)" in row["other_baselines"]
    assert absolute_effects(log_or, 0.5).difference_text in row["other_baselines"]


@pytest.mark.parametrize(
    ("rating_", "effect", "words"),
    [
        (4, "more", "Compared with C, T increases"),
        (3, "fewer", "Compared with C, T probably reduces"),
        (2, "more", "T may increase"),
        (2, "none", "T may result in little to no difference in"),
        (3, "none", "T probably results in little to no difference in"),
        (1, "more", "The evidence is very uncertain about the effect of T on Y"),
    ],
)
def test_statements_follow_certainty_and_size(rating_, effect, words):
    assert words in statement(rating_, effect, "T", "C", "Y")


def test_size_is_judged_against_the_thresholds_either_side():
    assert size(10, benefit=50, harm=-40, null=0) == "none"
    assert size(60, benefit=50, harm=-40, null=0) == "more"
    assert size(-45, benefit=50, harm=-40, null=0) == "fewer"


def test_a_whole_row_from_a_constructed_fit(settings):
    fit = fit_inputs(THREE, draws(math.log(2.5), 0.1), tau=0.7, prediction=(0.8, 6.0))
    table = rob_table({"A": "low", "B": "low", "C": "low"})
    row, test = assess_analysis(analysis(), fit, table, settings)
    assert test is None and row["publication_bias"] == "not assessed"
    assert row["inconsistency_level"] == 1 and row["risk_of_bias_level"] == 0
    # 1100 participants, fewer than the 1800 or so a trial needs at a control risk of 0.2
    assert (
        row["imprecision_level"] == 1
        and "optimal information size" in row["imprecision" + "_reason"]
    )
    assert row["rating"] == 2 and row["certainty"] == "Low" and row["symbols"] == "⊕⊕◯◯"
    assert row["statement"].startswith("Compared with oral methadone, SIH may increase")
    assert "Inconsistency: serious. Posterior median tau 0.70" in row["footnotes"]
    assert "Publication bias: not assessed" in row["footnotes"]


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retention": {"imprecision": {"level": 1}}}, "'reason' is a required property"),
        ({"retention": {"imprecision": {"level": 3, "reason": "x"}}}, "3 is not one of"),
        ({"retention": {"precision": {"level": 1, "reason": "x"}}}, "'precision'"),
        ({"nope": {"imprecision": {"level": 1, "reason": "x"}}}, "'nope' is not defined"),
    ],
)
def test_an_override_needs_a_known_analysis_domain_level_and_reason(overrides, message):
    from conftest import CONFIG

    from hatmeta.config import ConfigError, read, validate

    config, positions = read(CONFIG)
    config.setdefault("certainty", {})["overrides"] = overrides
    with pytest.raises(ConfigError, match="certainty/overrides") as err:
        validate(config, positions=positions)
    assert message in str(err.value)


def test_certainty_defaults_come_from_the_schema(project_settings):
    from conftest import CONFIG

    from hatmeta.config import read, settings, validate

    config, _ = read(CONFIG)
    config.pop("certainty", None)
    defaults = settings(validate(config)).certainty
    assert (defaults.rob_serious_share, defaults.rob_very_serious_high_share) == (0.5, 0.5)
    assert (defaults.tau_serious, defaults.tau_very_serious) == (0.5, 1.0)
    assert (defaults.publication_min_trials, defaults.publication_p) == (10, 0.1)
    assert defaults.relative_risk_reduction == 0.25 and defaults.overrides == {}
