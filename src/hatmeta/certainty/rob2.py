"""RoB 2's decision rules: signalling answers in, domain and overall judgements out (no I/O).

The tool is RoB 2 for individually randomised parallel-group trials, effect of assignment to
intervention (Sterne et al., BMJ 2019;366:l4898; Higgins et al., the RoB 2 guidance of
22 August 2019, whose algorithms are followed branch by branch below).

Answers are ``Y``, ``PY`` (probably yes), ``PN`` (probably no), ``N``, ``NI`` (no information)
and ``NA`` (not applicable: the question is not asked, :func:`asked`). Each domain's judgement
is ``low``, ``some_concerns`` or ``high`` and comes with its path: the answers that decided it,
in words, so that a reader can follow the rule to the judgement.

The overall judgement is low only when every domain is low, high when any domain is high, and
otherwise some concerns; optionally (the guidance leaves it to the review team) some concerns
in at least ``several_concerns_high`` domains counts as high.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ANSWERS = ("Y", "PY", "PN", "N", "NI", "NA")
YES, NO = frozenset({"Y", "PY"}), frozenset({"N", "PN"})
NI, NA = "NI", "NA"
LOW, SOME, HIGH = "low", "some_concerns", "high"
JUDGEMENTS = (LOW, SOME, HIGH)

#: The signalling questions (effect of assignment), by id, shortened from the tool's wording.
QUESTIONS = {
    "1.1": "Was the allocation sequence random?",
    "1.2": "Was the allocation sequence concealed until participants were enrolled and assigned "
    "to interventions?",
    "1.3": "Did baseline differences between intervention groups suggest a problem with the "
    "randomisation process?",
    "2.1": "Were participants aware of their assigned intervention during the trial?",
    "2.2": "Were carers and people delivering the interventions aware of participants' assigned "
    "intervention during the trial?",
    "2.3": "Were there deviations from the intended intervention that arose because of the "
    "trial context?",
    "2.4": "Were these deviations likely to have affected the outcome?",
    "2.5": "Were these deviations from intended intervention balanced between groups?",
    "2.6": "Was an appropriate analysis used to estimate the effect of assignment to intervention?",
    "2.7": "Was there potential for a substantial impact (on the result) of the failure to "
    "analyse participants in the group to which they were randomised?",
    "3.1": "Were data for this outcome available for all, or nearly all, participants randomised?",
    "3.2": "Is there evidence that the result was not biased by missing outcome data?",
    "3.3": "Could missingness in the outcome depend on its true value?",
    "3.4": "Is it likely that missingness in the outcome depended on its true value?",
    "4.1": "Was the method of measuring the outcome inappropriate?",
    "4.2": "Could measurement or ascertainment of the outcome have differed between "
    "intervention groups?",
    "4.3": "Were outcome assessors aware of the intervention received by study participants?",
    "4.4": "Could assessment of the outcome have been influenced by knowledge of intervention "
    "received?",
    "4.5": "Is it likely that assessment of the outcome was influenced by knowledge of "
    "intervention received?",
    "5.1": "Were the data that produced this result analysed in accordance with a pre-specified "
    "analysis plan that was finalised before unblinded outcome data were available?",
    "5.2": "Is the numerical result being assessed likely to have been selected from multiple "
    "eligible outcome measurements within the outcome domain?",
    "5.3": "Is the numerical result being assessed likely to have been selected from multiple "
    "eligible analyses of the data?",
}

#: The domains (names as in the risk-of-bias judgements file) and their questions.
DOMAINS = {
    "randomisation": ("1.1", "1.2", "1.3"),
    "deviations": ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"),
    "missing_data": ("3.1", "3.2", "3.3", "3.4"),
    "measurement": ("4.1", "4.2", "4.3", "4.4", "4.5"),
    "selection": ("5.1", "5.2", "5.3"),
}
DOMAIN_TITLES = {
    "randomisation": "D1 randomisation process",
    "deviations": "D2 deviations from intended interventions",
    "missing_data": "D3 missing outcome data",
    "measurement": "D4 measurement of the outcome",
    "selection": "D5 selection of the reported result",
}

#: A question asked only on a condition: (questions, answers that ask it, 'any' or 'all').
CONDITIONS = {
    "2.3": (("2.1", "2.2"), YES | {NI}, "any"),
    "2.4": (("2.3",), YES, "any"),
    "2.5": (("2.4",), YES | {NI}, "any"),
    "2.7": (("2.6",), NO | {NI}, "any"),
    "3.2": (("3.1",), NO | {NI}, "any"),
    "3.3": (("3.2",), NO, "any"),
    "3.4": (("3.3",), YES | {NI}, "any"),
    "4.3": (("4.1", "4.2"), NO | {NI}, "all"),
    "4.4": (("4.3",), YES | {NI}, "any"),
    "4.5": (("4.4",), YES | {NI}, "any"),
}
#: Answers a question does not take: 3.2 asks for evidence, and no evidence is 'N' (the tool
#: offers no 'NI' there).
NOT_OFFERED = {"3.2": frozenset({NI})}


def asked(question: str, answers: Mapping[str, str]) -> bool:
    """Whether RoB 2 asks ``question`` given the answers to the questions before it."""
    if question not in CONDITIONS:
        return True
    parents, asking, how = CONDITIONS[question]
    hits = [answers.get(p) in asking for p in parents]
    return any(hits) if how == "any" else all(hits)


def condition_text(question: str) -> str:
    """The condition under which ``question`` is asked, in RoB 2's words ('' if always)."""
    if question not in CONDITIONS:
        return ""
    parents, asking, how = CONDITIONS[question]
    words = "/".join(a for a in ANSWERS if a in asking)
    joined = (" or " if how == "any" else " and ").join(parents)
    return f"if {words} to {joined}"


def consistency_problems(answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(question, problem)`` for every answer that breaks the skip logic or takes an answer
    the question does not offer; an unanswered question is a problem too."""
    problems = []
    for question in QUESTIONS:
        answer = answers.get(question)
        if answer is None:
            problems.append((question, "no answer"))
        elif asked(question, answers) and answer == NA:
            problems.append(
                (
                    question,
                    f"is asked ({condition_text(question) or 'always'}): answer it, NI "
                    "when nothing was found",
                )
            )
        elif not asked(question, answers) and answer != NA:
            problems.append(
                (
                    question,
                    f"is not asked (only {condition_text(question)}): answer NA, not {answer}",
                )
            )
        elif answer in NOT_OFFERED.get(question, ()):
            problems.append((question, f"does not take {answer}: no evidence is N"))
    return problems


@dataclass(frozen=True)
class Judgement:
    """One domain's (or the overall) judgement and the answers that decided it."""

    judgement: str
    path: str


def _say(answers: Mapping[str, str], *questions: str) -> str:
    return ", ".join(f"{q} {answers[q]}" for q in questions)


def randomisation(a: Mapping[str, str]) -> Judgement:
    """D1: concealment (1.2) first, then the sequence (1.1) and baseline imbalance (1.3)."""
    if a["1.2"] in NO:
        return Judgement(HIGH, _say(a, "1.2") + ": allocation not concealed")
    if a["1.2"] == NI:
        if a["1.3"] in YES:
            return Judgement(HIGH, _say(a, "1.2", "1.3"))
        return Judgement(SOME, _say(a, "1.2", "1.3"))
    # 1.2 Y/PY
    if a["1.1"] in NO:
        return Judgement(HIGH if a["1.3"] in YES else SOME, _say(a, "1.2", "1.1", "1.3"))
    return Judgement(SOME if a["1.3"] in YES else LOW, _say(a, "1.2", "1.1", "1.3"))


def _deviations_part1(a: Mapping[str, str]) -> Judgement:
    if a["2.1"] in NO and a["2.2"] in NO:
        return Judgement(LOW, _say(a, "2.1", "2.2"))
    if a["2.3"] in NO:
        return Judgement(LOW, _say(a, "2.3"))
    if a["2.3"] == NI:
        return Judgement(SOME, _say(a, "2.3"))
    # 2.3 Y/PY: deviations because of the trial context
    if a["2.4"] in NO:
        return Judgement(SOME, _say(a, "2.3", "2.4"))
    if a["2.5"] in YES:
        return Judgement(SOME, _say(a, "2.3", "2.4", "2.5"))
    return Judgement(HIGH, _say(a, "2.3", "2.4", "2.5"))


def _deviations_part2(a: Mapping[str, str]) -> Judgement:
    if a["2.6"] in YES:
        return Judgement(LOW, _say(a, "2.6"))
    if a["2.7"] in NO:
        return Judgement(SOME, _say(a, "2.6", "2.7"))
    return Judgement(HIGH, _say(a, "2.6", "2.7"))


def deviations(a: Mapping[str, str]) -> Judgement:
    """D2 (effect of assignment): part 1 (awareness and deviations because of the trial
    context, 2.1 to 2.5) and part 2 (the analysis, 2.6 and 2.7); low if both are low, high if
    either is high."""
    first, second = _deviations_part1(a), _deviations_part2(a)
    parts = (first.judgement, second.judgement)
    judgement = HIGH if HIGH in parts else (LOW if parts == (LOW, LOW) else SOME)
    return Judgement(judgement, f"{first.path}; {second.path}")


def missing_data(a: Mapping[str, str]) -> Judgement:
    """D3: complete data (3.1), evidence of no bias (3.2), could (3.3) and likely (3.4)
    missingness depended on the true value."""
    if a["3.1"] in YES:
        return Judgement(LOW, _say(a, "3.1"))
    if a["3.2"] in YES:
        return Judgement(LOW, _say(a, "3.1", "3.2"))
    if a["3.3"] in NO:
        return Judgement(LOW, _say(a, "3.1", "3.2", "3.3"))
    if a["3.4"] in NO:
        return Judgement(SOME, _say(a, "3.1", "3.2", "3.3", "3.4"))
    return Judgement(HIGH, _say(a, "3.1", "3.2", "3.3", "3.4"))


def measurement(a: Mapping[str, str]) -> Judgement:
    """D4: an inappropriate method (4.1) or measurement that could differ between groups (4.2)
    is high; otherwise assessors' awareness (4.3), possible (4.4) and likely (4.5) influence.
    With no information on 4.2 the domain is at best some concerns."""
    if a["4.1"] in YES:
        return Judgement(HIGH, _say(a, "4.1"))
    if a["4.2"] in YES:
        return Judgement(HIGH, _say(a, "4.1", "4.2"))
    best = SOME if a["4.2"] == NI else LOW
    if a["4.3"] in NO:
        return Judgement(best, _say(a, "4.1", "4.2", "4.3"))
    if a["4.4"] in NO:
        return Judgement(best, _say(a, "4.1", "4.2", "4.3", "4.4"))
    if a["4.5"] in NO:
        return Judgement(SOME, _say(a, "4.1", "4.2", "4.3", "4.4", "4.5"))
    return Judgement(HIGH, _say(a, "4.1", "4.2", "4.3", "4.4", "4.5"))


def selection(a: Mapping[str, str]) -> Judgement:
    """D5: a result selected from several measurements (5.2) or analyses (5.3) is high; with
    neither, a pre-specified plan (5.1) is low; otherwise some concerns."""
    if a["5.2"] in YES or a["5.3"] in YES:
        return Judgement(HIGH, _say(a, "5.2", "5.3"))
    if a["5.2"] in NO and a["5.3"] in NO and a["5.1"] in YES:
        return Judgement(LOW, _say(a, "5.1", "5.2", "5.3"))
    return Judgement(SOME, _say(a, "5.1", "5.2", "5.3"))


RULES = {
    "randomisation": randomisation,
    "deviations": deviations,
    "missing_data": missing_data,
    "measurement": measurement,
    "selection": selection,
}


def domain_judgement(domain: str, answers: Mapping[str, str]) -> Judgement:
    """The judgement of ``domain`` from its answers (which must pass
    :func:`consistency_problems` for that domain's questions)."""
    return RULES[domain](answers)


def overall(judgements: Mapping[str, str], several_concerns_high: int | None = None) -> Judgement:
    """The overall judgement from the five domains' judgements.

    Low only if every domain is low; high if any domain is high, or, when
    ``several_concerns_high`` is set, if at least that many domains have some concerns;
    otherwise some concerns.
    """
    high = [d for d in DOMAINS if judgements[d] == HIGH]
    some = [d for d in DOMAINS if judgements[d] == SOME]
    if high:
        return Judgement(HIGH, "high in " + ", ".join(DOMAIN_TITLES[d] for d in high))
    if several_concerns_high is not None and len(some) >= several_concerns_high:
        return Judgement(
            HIGH,
            f"some concerns in {len(some)} domains (at least {several_concerns_high} counts as "
            "high): " + ", ".join(DOMAIN_TITLES[d] for d in some),
        )
    if some:
        return Judgement(SOME, "some concerns in " + ", ".join(DOMAIN_TITLES[d] for d in some))
    return Judgement(LOW, "low in every domain")


def overall_rule_text(several_concerns_high: int | None = None, reason: str = "") -> str:
    """The overall rule in words (with the review's option and reason when set)."""
    text = "low only if every domain is low, high if any domain is high, otherwise some concerns"
    if several_concerns_high is not None:
        text += (
            f"; some concerns in {several_concerns_high} or more domains counts as high ({reason})"
        )
    return text


def judge(
    answers: Mapping[str, str], several_concerns_high: int | None = None
) -> dict[str, Judgement]:
    """Every domain's judgement and the overall one (key ``overall``) from a complete,
    consistent set of answers (:func:`consistency_problems` empty)."""
    problems = consistency_problems(answers)
    if problems:
        raise ValueError("; ".join(f"{q} {p}" for q, p in problems))
    out = {domain: domain_judgement(domain, answers) for domain in DOMAINS}
    out["overall"] = overall({d: j.judgement for d, j in out.items()}, several_concerns_high)
    return out


def informative(domain: str, answers: Mapping[str, str]) -> bool:
    """Whether any answer of ``domain`` carries information (not NI, not NA): a judgement from
    no information at all is the rule's default, not an assessment."""
    return any(answers[q] not in (NI, NA) for q in DOMAINS[domain])
