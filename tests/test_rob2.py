"""RoB 2's decision rules (hatmeta.certainty.rob2) question by question on both sides of every
branch, against the guidance's tables on every consistent answer pattern, and the answers file
(hatmeta.certainty.rob2_answers): its validation and what it derives."""

from __future__ import annotations

import itertools

import pytest
from oracles.rob2_tables import TABLES

from hatmeta.certainty import rob2, rob2_answers
from hatmeta.data.csvtext import ExtractionError

OFFERED = ("Y", "PY", "PN", "N", "NI")


def patterns(domain):
    """Every consistent answer pattern of ``domain``: each asked question takes every answer
    it offers, each question not asked takes NA."""
    questions = rob2.DOMAINS[domain]
    out = [{}]
    for q in questions:
        grown = []
        for partial in out:
            if rob2.asked(q, partial):
                offered = [a for a in OFFERED if a not in rob2.NOT_OFFERED.get(q, ())]
                grown += [partial | {q: a} for a in offered]
            else:
                grown.append(partial | {q: "NA"})
        out = grown
    return out


@pytest.mark.parametrize("domain", list(rob2.DOMAINS))
def test_every_consistent_pattern_matches_the_guidance_table(domain):
    cases = patterns(domain)
    assert len(cases) >= 25  # the enumeration reached the domain's branches
    seen = set()
    for answers in cases:
        got = rob2.domain_judgement(domain, answers).judgement
        assert got == TABLES[domain](answers), answers
        seen.add(got)
    assert seen == {"low", "some_concerns", "high"}  # every judgement is reachable


def base(**changes):
    """A consistent, all-low set of answers, with ``changes`` (question ids with '_' for '.')."""
    answers = {
        "1.1": "Y", "1.2": "Y", "1.3": "N",
        "2.1": "N", "2.2": "N", "2.3": "NA", "2.4": "NA", "2.5": "NA", "2.6": "Y", "2.7": "NA",
        "3.1": "Y", "3.2": "NA", "3.3": "NA", "3.4": "NA",
        "4.1": "N", "4.2": "N", "4.3": "N", "4.4": "NA", "4.5": "NA",
        "5.1": "Y", "5.2": "N", "5.3": "N",
    }  # fmt: skip
    return answers | {k.replace("_", "."): v for k, v in changes.items()}


# Each case: the domain, answers changed from the all-low base, and the judgement. Pairs on
# either side of a branch sit next to each other.
BRANCHES = [
    # D1: concealment first
    ("randomisation", {}, "low"),
    ("randomisation", {"1_2": "PN"}, "high"),
    ("randomisation", {"1_2": "NI"}, "some_concerns"),
    ("randomisation", {"1_2": "NI", "1_3": "PY"}, "high"),
    ("randomisation", {"1_3": "Y"}, "some_concerns"),
    ("randomisation", {"1_1": "NI"}, "low"),
    ("randomisation", {"1_1": "N"}, "some_concerns"),
    ("randomisation", {"1_1": "PN", "1_3": "Y"}, "high"),
    ("randomisation", {"1_3": "NI"}, "low"),
    # D2 part 1: awareness, then deviations because of the trial context
    ("deviations", {}, "low"),
    ("deviations", {"2_1": "Y", "2_3": "N"}, "low"),
    ("deviations", {"2_2": "NI", "2_3": "PN"}, "low"),
    ("deviations", {"2_1": "Y", "2_3": "NI"}, "some_concerns"),
    ("deviations", {"2_1": "Y", "2_3": "Y", "2_4": "N"}, "some_concerns"),
    ("deviations", {"2_1": "Y", "2_3": "Y", "2_4": "PY", "2_5": "Y"}, "some_concerns"),
    ("deviations", {"2_1": "Y", "2_3": "Y", "2_4": "NI", "2_5": "PN"}, "high"),
    ("deviations", {"2_1": "Y", "2_3": "PY", "2_4": "Y", "2_5": "NI"}, "high"),
    # D2 part 2: the analysis
    ("deviations", {"2_6": "PY"}, "low"),
    ("deviations", {"2_6": "N", "2_7": "N"}, "some_concerns"),
    ("deviations", {"2_6": "NI", "2_7": "PY"}, "high"),
    ("deviations", {"2_6": "PN", "2_7": "NI"}, "high"),
    # D2: the parts combined
    ("deviations", {"2_1": "Y", "2_3": "NI", "2_6": "N", "2_7": "N"}, "some_concerns"),
    ("deviations", {"2_1": "Y", "2_3": "N", "2_6": "N", "2_7": "Y"}, "high"),
    # D3
    ("missing_data", {}, "low"),
    ("missing_data", {"3_1": "PY"}, "low"),
    ("missing_data", {"3_1": "N", "3_2": "Y"}, "low"),
    ("missing_data", {"3_1": "NI", "3_2": "N", "3_3": "PN"}, "low"),
    ("missing_data", {"3_1": "N", "3_2": "PN", "3_3": "Y", "3_4": "N"}, "some_concerns"),
    ("missing_data", {"3_1": "N", "3_2": "N", "3_3": "NI", "3_4": "PN"}, "some_concerns"),
    ("missing_data", {"3_1": "N", "3_2": "N", "3_3": "PY", "3_4": "Y"}, "high"),
    ("missing_data", {"3_1": "PN", "3_2": "N", "3_3": "Y", "3_4": "NI"}, "high"),
    # D4
    ("measurement", {}, "low"),
    ("measurement", {"4_1": "Y", "4_3": "NA"}, "high"),
    ("measurement", {"4_1": "NI"}, "low"),
    ("measurement", {"4_2": "PY", "4_3": "NA"}, "high"),
    ("measurement", {"4_2": "NI"}, "some_concerns"),
    ("measurement", {"4_3": "Y", "4_4": "N"}, "low"),
    ("measurement", {"4_2": "NI", "4_3": "Y", "4_4": "N"}, "some_concerns"),
    ("measurement", {"4_3": "NI", "4_4": "Y", "4_5": "N"}, "some_concerns"),
    ("measurement", {"4_3": "Y", "4_4": "PY", "4_5": "PY"}, "high"),
    ("measurement", {"4_3": "Y", "4_4": "NI", "4_5": "NI"}, "high"),
    # D5
    ("selection", {}, "low"),
    ("selection", {"5_1": "NI"}, "some_concerns"),
    ("selection", {"5_1": "N"}, "some_concerns"),
    ("selection", {"5_2": "NI"}, "some_concerns"),
    ("selection", {"5_3": "PY"}, "high"),
    ("selection", {"5_2": "Y"}, "high"),
]


@pytest.mark.parametrize(("domain", "changes", "expected"), BRANCHES)
def test_each_branch_of_each_domain(domain, changes, expected):
    answers = base(**changes)
    assert rob2.consistency_problems(answers) == []
    assert rob2.domain_judgement(domain, answers).judgement == expected


def test_the_path_names_the_answers_that_decided():
    answers = base(**{"2_1": "Y", "2_3": "Y", "2_4": "PY", "2_5": "N"})
    assert rob2.deviations(answers).path == "2.3 Y, 2.4 PY, 2.5 N; 2.6 Y"


@pytest.mark.parametrize(
    ("question", "asking", "not_asking"),
    [
        ("2.3", {"2.1": "NI", "2.2": "N"}, {"2.1": "PN", "2.2": "N"}),
        ("2.3", {"2.1": "N", "2.2": "PY"}, {"2.1": "N", "2.2": "PN"}),
        ("2.4", {"2.3": "PY"}, {"2.3": "NI"}),
        ("2.5", {"2.4": "NI"}, {"2.4": "PN"}),
        ("2.7", {"2.6": "NI"}, {"2.6": "PY"}),
        ("3.2", {"3.1": "NI"}, {"3.1": "PY"}),
        ("3.3", {"3.2": "PN"}, {"3.2": "Y"}),
        ("3.4", {"3.3": "NI"}, {"3.3": "N"}),
        ("4.3", {"4.1": "NI", "4.2": "PN"}, {"4.1": "N", "4.2": "PY"}),
        ("4.3", {"4.1": "N", "4.2": "NI"}, {"4.1": "PY", "4.2": "N"}),
        ("4.4", {"4.3": "NI"}, {"4.3": "PN"}),
        ("4.5", {"4.4": "Y"}, {"4.4": "N"}),
    ],
)
def test_skip_logic_on_both_sides(question, asking, not_asking):
    assert rob2.asked(question, asking)
    assert not rob2.asked(question, not_asking)


def test_consistency_problems_name_the_question_and_what_to_do():
    assert rob2.consistency_problems(base(**{"2_1": "Y"})) == [
        ("2.3", "is asked (if Y/PY/NI to 2.1 or 2.2): answer it, NI when nothing was found")
    ]
    problems = dict(rob2.consistency_problems(base(**{"2_4": "N"})))
    assert problems == {"2.4": "is not asked (only if Y/PY to 2.3): answer NA, not N"}
    problems = dict(rob2.consistency_problems(base(**{"3_1": "N", "3_2": "NI", "3_3": "NI"})))
    assert problems["3.2"] == "does not take NI: no evidence is N"
    missing = base()
    del missing["5.3"]
    assert rob2.consistency_problems(missing) == [("5.3", "no answer")]
    with pytest.raises(ValueError, match=r"5\.3 no answer"):
        rob2.judge(missing)


def test_overall_judgement():
    low = dict.fromkeys(rob2.DOMAINS, "low")
    assert rob2.overall(low).judgement == "low"
    assert rob2.overall(low | {"selection": "some_concerns"}).judgement == "some_concerns"
    mixed = low | {"randomisation": "some_concerns", "measurement": "high"}
    verdict = rob2.overall(mixed)
    assert verdict.judgement == "high" and verdict.path == "high in D4 measurement of the outcome"
    three = low | dict.fromkeys(("randomisation", "deviations", "missing_data"), "some_concerns")
    assert rob2.overall(three).judgement == "some_concerns"
    assert rob2.overall(three, several_concerns_high=3).judgement == "high"
    assert rob2.overall(three, several_concerns_high=4).judgement == "some_concerns"


def test_judge_gives_every_domain_and_overall():
    judged = rob2.judge(base(**{"4_2": "NI"}))
    assert {d: j.judgement for d, j in judged.items()} == {
        "randomisation": "low",
        "deviations": "low",
        "missing_data": "low",
        "measurement": "some_concerns",
        "selection": "low",
        "overall": "some_concerns",
    }


def test_informative_is_false_only_when_every_answer_is_ni_or_na():
    assert rob2.informative("randomisation", base())
    empty = base(**{"1_1": "NI", "1_2": "NI", "1_3": "NI"})
    assert not rob2.informative("randomisation", empty)
    assert rob2.domain_judgement("randomisation", empty).judgement == "some_concerns"


# The answers file ------------------------------------------------------------------------

HEADER = "trial,outcome,question,answer,quote,source,location,note\n"


def answer_rows(trial, answers, outcome=""):
    lines = []
    for q, a in answers.items():
        support = ("words", "S1", "p. 1") if a not in ("NI", "NA") else ("", "", "")
        lines.append(",".join([trial, outcome, q, a, *support, ""]))
    return lines


def write(tmp_path, lines):
    path = tmp_path / "rob2_answers.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


def test_outcome_rows_replace_blank_rows_for_their_outcome(tmp_path):
    self_report = {"4.3": "Y", "4.4": "PY", "4.5": "PY"}
    lines = answer_rows("A", base()) + answer_rows("A", self_report, "good")
    table = rob2_answers.read_rob2_answers(write(tmp_path, lines), ["S1"], ["good", "harm"])
    derived = rob2_answers.derive(table, ["good", "harm"])
    overall = derived[derived["domain"] == "overall"].set_index("outcome")["judgement"]
    assert overall.to_dict() == {"good": "high", "harm": "low"}
    measured = derived[(derived["domain"] == "measurement") & (derived["outcome"] == "good")]
    assert measured["path"].iloc[0] == "4.1 N, 4.2 N, 4.3 Y, 4.4 PY, 4.5 PY"


def test_a_trial_without_blank_rows_is_assessed_only_for_its_outcomes(tmp_path):
    table = rob2_answers.read_rob2_answers(
        write(tmp_path, answer_rows("A", base(), "good")), ["S1"], ["good", "harm"]
    )
    assert set(rob2_answers.derive(table, ["good", "harm"])["outcome"]) == {"good"}


def test_bad_answers_are_refused_with_file_line_and_column(tmp_path):
    lines = answer_rows("A", base())
    lines[0] = "A,,1.1,Y,,S1,p. 1,"  # no quote
    lines[1] = "A,,1.2,maybe,words,S1,p. 1,"  # not an answer
    lines[2] = "A,,1.3,NI,words,S1,p. 1,"  # NI with a quote
    lines.append("A,,5.4,N,words,S1,p. 1,")  # no such question
    lines.append("A,never,5.3,N,words,S2,p. 1,")  # unknown outcome, unknown source
    path = write(tmp_path, lines)
    with pytest.raises(ExtractionError) as err:
        rob2_answers.read_rob2_answers(path, ["S1"], ["good"])
    text = str(err.value)
    assert f"{path}, line 2 (A/1.1), column 'quote': a 'Y' answer needs the supporting" in text
    assert "line 3 (A/1.2), column 'answer': got 'maybe'" in text
    assert "line 4 (A/1.3), column 'quote': an 'NI' answer carries no quote" in text
    assert "line 24 (A/5.4), column 'question'" in text
    assert "line 25 (A/never/5.3), column 'outcome'" in text
    assert "column 'source': source key 'S2' is not in the bibliography" in text


def test_skip_logic_is_checked_per_outcome(tmp_path):
    lines = [*answer_rows("A", base()), "A,good,4.3,Y,words,S1,p. 1,"]
    path = write(tmp_path, lines)
    with pytest.raises(ExtractionError) as err:
        rob2_answers.read_rob2_answers(path, ["S1"], ["good"])
    text = str(err.value)
    # 4.4 comes from the blank row (line 19), which is NA but asked for outcome 'good'
    assert "line 19 (A/4.4), column 'answer': question 4.4 is asked (if Y/PY/NI to 4.3)" in text
    assert "(for outcome 'good')" in text


def test_a_duplicate_and_an_unanswered_question_are_refused(tmp_path):
    lines = answer_rows("A", base())
    with pytest.raises(ExtractionError, match=r"line 24 \(A/1\.1\): duplicate of line 2"):
        rob2_answers.read_rob2_answers(write(tmp_path, [*lines, lines[0]]), ["S1"], ["good"])
    with pytest.raises(ExtractionError) as err:
        rob2_answers.read_rob2_answers(write(tmp_path, lines[:-1]), ["S1"], ["good"])
    assert "(A/5.3), column 'question': question 5.3 no answer (for every outcome)" in str(
        err.value
    )


def test_derived_judgements_follow_the_rules_on_random_answer_sets(tmp_path):
    # Many trials with random consistent answers: what the file derives equals the rules
    # applied directly, and every domain is informative unless all its answers are NI/NA.
    import random

    rng = random.Random(7)
    all_patterns = {d: patterns(d) for d in rob2.DOMAINS}
    lines, expected = [], {}
    for i in range(40):
        answers = {}
        for domain in rob2.DOMAINS:
            answers |= rng.choice(all_patterns[domain])
        answers = {q: answers[q] for q in rob2.QUESTIONS}
        lines += answer_rows(f"T{i}", answers)
        expected[f"T{i}"] = rob2.judge(answers)
    table = rob2_answers.read_rob2_answers(write(tmp_path, lines), ["S1"], ["good"])
    derived = rob2_answers.derive(table, ["good"])
    for row in derived.itertuples(index=False):
        assert row.judgement == expected[row.trial][row.domain].judgement
    assert len(derived) == 40 * 6


def test_the_enumeration_covers_every_answer_of_every_asked_question():
    for domain, questions in rob2.DOMAINS.items():
        cases = patterns(domain)
        for q in questions:
            used = {c[q] for c in cases}
            offered = set(OFFERED) - set(rob2.NOT_OFFERED.get(q, ()))
            assert offered <= used, (q, used)
    assert list(itertools.chain(*rob2.DOMAINS.values())) == list(rob2.QUESTIONS)
