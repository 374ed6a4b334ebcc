"""RoB 2's suggested judgements as the guidance tabulates them (Higgins et al., RoB 2 guidance
of 22 August 2019, the 'criteria for reaching risk-of-bias judgements' of each domain, effect
of assignment), written as conditions on answer sets and independent of
:mod:`hatmeta.certainty.rob2`'s branching code. Used only by the tests."""

YES = {"Y", "PY"}
NO = {"N", "PN"}
YES_NI = YES | {"NI"}
NO_NI = NO | {"NI"}


def d1(a):
    low = a["1.2"] in YES and a["1.1"] in YES_NI and a["1.3"] in NO_NI
    high = (
        a["1.2"] in NO
        or (a["1.2"] == "NI" and a["1.3"] in YES)
        or (a["1.2"] in YES and a["1.1"] in NO and a["1.3"] in YES)
    )
    return "low" if low else "high" if high else "some_concerns"


def d2(a):
    aware = a["2.1"] in YES_NI or a["2.2"] in YES_NI
    part1_low = not aware or a["2.3"] in NO
    part1_high = a["2.3"] in YES and a["2.4"] in YES_NI and a["2.5"] in NO_NI
    part2_low = a["2.6"] in YES
    part2_high = a["2.6"] in NO_NI and a["2.7"] in YES_NI
    if part1_high or part2_high:
        return "high"
    return "low" if part1_low and part2_low else "some_concerns"


def d3(a):
    low = a["3.1"] in YES or a["3.2"] in YES or (a["3.2"] in NO and a["3.3"] in NO)
    high = a["3.3"] in YES_NI and a["3.4"] in YES_NI
    return "low" if low else "high" if high else "some_concerns"


def d4(a):
    if a["4.1"] in YES or a["4.2"] in YES:
        return "high"
    if a["4.3"] in YES_NI and a["4.4"] in YES_NI and a["4.5"] in YES_NI:
        return "high"
    unaffected = a["4.3"] in NO or a["4.4"] in NO
    return "low" if unaffected and a["4.2"] in NO else "some_concerns"


def d5(a):
    if a["5.2"] in YES or a["5.3"] in YES:
        return "high"
    return "low" if a["5.1"] in YES and a["5.2"] in NO and a["5.3"] in NO else "some_concerns"


TABLES = {
    "randomisation": d1,
    "deviations": d2,
    "missing_data": d3,
    "measurement": d4,
    "selection": d5,
}
