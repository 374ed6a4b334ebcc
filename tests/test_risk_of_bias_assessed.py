"""The review's own RoB 2 judgements in the certainty: which judgement is used (the review's
over a published one), the GRADE footnote naming the domains, the weighted shares, the report
section, and the project's own answers file (enough of it rests on information)."""

from __future__ import annotations

import pandas as pd
import pytest
from certainty_data import THREE, bare_settings
from test_rob2 import answer_rows, base, write

from hatmeta.certainty import risk_of_bias, rob2_answers, rob_assessment
from hatmeta.config import Analysis, Outcome
from hatmeta.report import risk_of_bias as report_rob

GOOD = Outcome("good", "good event", True, None)


def analysis(trials=("A", "B", "C")):
    return Analysis("a1", "Analysis one", GOOD, ("m1",), trials, "hn", "")


@pytest.fixture
def settings(project_settings):
    return bare_settings(project_settings, {"a1": analysis()})


def published(rows):
    """A judgements file as read: ``(trial, outcome, domain, judgement)`` tuples."""
    return pd.DataFrame(
        [
            {"line": i + 2, "trial": t, "outcome": o, "domain": d, "judgement": j, "source": "",
             "location": "", "note": "published note"}
            for i, (t, o, d, j) in enumerate(rows)
        ]
    )  # fmt: skip


def derived(tmp_path, answers_by_trial):
    lines = [line for t, a in answers_by_trial.items() for line in answer_rows(t, a)]
    table = rob2_answers.read_rob2_answers(write(tmp_path, lines), ["S1"], ["good"])
    return rob2_answers.derive(table, ["good"])


def test_the_reviews_judgement_replaces_a_published_one_and_is_shown_beside_it(tmp_path):
    mine = derived(tmp_path, {"A": base(**{"1_2": "N"})})  # A: D1 high
    pub = published(
        [
            ("A", "", "randomisation", "low"),
            ("A", "", "overall", "low"),
            ("B", "", "overall", "some_concerns"),
            ("C", "", "overall", "not_found"),
        ]
    )
    used = rob_assessment.judgements_in_use(pub, mine, ["good"]).set_index(["trial", "domain"])
    assert used.loc[("A", "randomisation"), ["judgement", "origin", "published"]].tolist() == [
        "high", "derived", "low"]  # fmt: skip
    assert used.loc[("A", "randomisation"), "path"] == "1.2 N: allocation not concealed"
    assert used.loc[("A", "overall"), "judgement"] == "high"
    assert used.loc[("B", "overall"), ["judgement", "origin"]].tolist() == [
        "some_concerns", "published"]  # fmt: skip
    assert used.loc[("C", "overall"), ["informative", "published"]].tolist() == [False, ""]


def test_grade_uses_the_derived_overall_and_names_the_driving_domains(tmp_path, settings):
    # A and B at high risk through D2 and D3; C low: the shares decide the level.
    answers = {
        "A": base(**{"2_6": "N", "2_7": "Y"}),
        "B": base(**{"3_1": "N", "3_2": "N", "3_3": "Y", "3_4": "PY"}),
        "C": base(),
    }
    used = rob_assessment.judgements_in_use(None, derived(tmp_path, answers), ["good"])
    domain = risk_of_bias.assess(THREE, used, analysis(), settings)
    weights = risk_of_bias.log_or_weights(THREE)
    high = weights[["A", "B"]].sum() / weights.sum()
    assert domain.level == (2 if high > settings.rob_very_serious_high_share else 1)
    assert "(A: D2 high, B: D3 high)" in domain.numbers
    assert "derived from this review's RoB 2 answers: A, B, C" in domain.numbers
    # The same trials all low: not serious.
    low = rob_assessment.judgements_in_use(None, derived(tmp_path, dict.fromkeys("ABC", base())),
                                         ["good"])  # fmt: skip
    assert risk_of_bias.assess(THREE, low, analysis(), settings).level == 0


def test_some_concerns_are_named_after_the_high_ones(tmp_path, settings):
    answers = {"A": base(**{"1_2": "PN"}), "B": base(**{"5_1": "NI"}), "C": base()}
    used = rob_assessment.judgements_in_use(None, derived(tmp_path, answers), ["good"])
    numbers = risk_of_bias.assess(THREE, used, analysis(), settings).numbers
    assert "overall (A: D1 high)" in numbers
    assert "(also B: D5 some concerns)" in numbers


def test_domain_shares_sum_to_one_per_domain(tmp_path):
    answers = {"A": base(**{"1_2": "PN"}), "B": base(**{"5_1": "NI"})}  # C not assessed
    used = rob_assessment.judgements_in_use(None, derived(tmp_path, answers), ["good"])
    weights = risk_of_bias.log_or_weights(THREE)
    shares = rob_assessment.domain_shares(weights, used, "good")
    totals = shares.groupby("domain")["share"].sum()
    assert totals.round(12).eq(1.0).all()
    by = shares.set_index(["domain", "judgement"])["share"]
    w = weights / weights.sum()
    assert by[("randomisation", "high")] == pytest.approx(w["A"])
    assert by[("selection", "some_concerns")] == pytest.approx(w["B"])
    assert by[("overall", "not_found")] == pytest.approx(w["C"])


def test_report_section_counts_informative_judgements_and_names_disagreements(tmp_path):
    mine = derived(tmp_path, {"A": base(**{"1_2": "N"}),
                              "B": base(**{"1_1": "NI", "1_2": "NI", "1_3": "NI"})})  # fmt: skip
    pub = published([("A", "", "randomisation", "low"), ("B", "", "overall", "some_concerns")])
    used = rob_assessment.judgements_in_use(pub, mine, ["good"])
    path = tmp_path / "judgements.csv"
    used.to_csv(path, index=False)
    judgements = report_rob.considered(pd.read_csv(path, keep_default_na=False, dtype=str),
                                       {"a1": analysis(("A", "B"))})  # fmt: skip
    assert report_rob.coverage(judgements) == (9, 10)  # B's D1 is all NI
    rows = report_rob.agreement_rows(judgements)
    assert rows == [
        ["A", "good", "D1 randomisation process", "low", "high", "DISAGREE"],
        ["B", "good", "Overall", "some concerns", "some concerns", "agree"],
    ]
    table = {r[0]: r for r in report_rob.judgement_rows(judgements)}
    assert table["B"][2] == "some concerns (no information): 1.2 NI, 1.3 NI"


def test_the_projects_answers_rest_on_information(project_settings):
    # The done-criterion of the review's own assessment: for the six trials of the 2015 review
    # and the outcomes retention and illicit heroin, at least 80% of the domain judgements
    # are derived from answers that are not all NI/NA.
    from hatmeta.data.sheet import load_bibliography

    data = project_settings.data
    keys = load_bibliography(data.bibliography)["key"]
    table = rob2_answers.read_rob2_answers(data.rob2_answers, keys, project_settings.outcomes)
    judged = rob2_answers.derive(table, ["retention", "illicit_heroin"])
    six = ["CH1998", "NL2003", "ES2006", "DE2007", "CA2009", "EN2010"]
    domains = judged[judged["trial"].isin(six) & (judged["domain"] != "overall")]
    assert len(domains) == 6 * 5 * 2
    assert domains["informative"].mean() >= 0.8
    # Retention and self-reported use are judged apart where the answers differ.
    differ = judged.pivot_table(
        index=["trial", "domain"], columns="outcome", values="judgement", aggfunc="first"
    )
    assert (differ["retention"] != differ["illicit_heroin"]).any()


def test_an_item_of_the_original_tool_sits_beside_the_answer_to_its_question(tmp_path):
    lines = answer_rows("A", base(**{"1_2": "NI"})) + answer_rows("B", base())
    answers = pd.read_csv(write(tmp_path, lines), keep_default_na=False, dtype=str)
    pub = published(
        [
            ("A", "", "sequence_generation", "low"),  # 1.1 Y: agree
            ("A", "", "allocation_concealment", "low"),  # 1.2 NI: disagree
            ("B", "", "allocation_concealment", "not_found"),  # nothing published: no row
        ]
    ).astype(str)
    rows = report_rob.item_rows(pub, answers)
    assert [(r[0], r[4], r[5]) for r in rows] == [
        ("A", "1.1 Y", "agree"),
        ("A", "1.2 NI", "DISAGREE"),
    ]
    assert rows[0][2] == "random sequence generation (original tool; RoB 2 question 1.1)"
    # Items never enter the judgements the certainty uses.
    used = rob_assessment.judgements_in_use(pub, None, ["good"])
    assert set(used["domain"]) == set()


def test_several_concerns_high_is_a_setting_with_its_reason():
    import copy

    import yaml
    from conftest import ROOT

    from hatmeta.config import ConfigError, settings, validate

    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert settings(validate(copy.deepcopy(raw))).certainty.rob_several_concerns_high is None
    chosen = copy.deepcopy(raw)
    reason = "three domains with concerns lower confidence as much as one high domain"
    chosen["certainty"]["risk_of_bias"]["several_concerns_high"] = {"domains": 3, "reason": reason}
    certainty = settings(validate(chosen)).certainty
    assert certainty.rob_several_concerns_high == 3
    assert f"some concerns in 3 or more domains counts as high ({reason})" in (
        risk_of_bias.rule_text(certainty)
    )
    chosen["certainty"]["risk_of_bias"]["several_concerns_high"] = {"domains": 3}
    with pytest.raises(ConfigError, match="'reason' is a required property"):
        validate(chosen)


def test_load_checked_derives_with_the_several_concerns_setting(tmp_path):
    two = base(**{"1_2": "NI", "5_1": "NI"})  # D1 and D5 some concerns
    path = write(tmp_path, answer_rows("A", two))
    bib = tmp_path / "bibliography.csv"
    bib.write_text("key,citation,kind,note\nS1,A source,trial report,\n")

    def overall(several):
        assessment = rob_assessment.load_checked(
            None, bib, ["good"], ["A"], {"a1": analysis(("A",))}, path, several
        )
        derived = assessment.derived
        return derived.loc[derived["domain"] == "overall", "judgement"].item()

    assert overall(None) == "some_concerns"
    assert overall(2) == "high"
    assert overall(3) == "some_concerns"
