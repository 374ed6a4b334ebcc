"""Plain-language statements (GRADE guidance 26, Santesso et al. 2020).

The wording follows the certainty and the size of the effect. Size is judged on the point
estimate (the posterior median of the risk difference at the control risk, or of the odds
ratio without one) against the clinically relevant thresholds either side of the null
(:func:`hatmeta.certainty.imprecision.thresholds`): between them, "little to no difference";
beyond, "increases" or "reduces" the number of people with the counted event.

=========  ==============================  ==========================================
certainty  an important effect             little to no difference
=========  ==============================  ==========================================
high       X increases / reduces Y         X results in little to no difference in Y
moderate   X probably increases / reduces  X probably results in little to no ...
low        X may increase / reduce         X may result in little to no ...
very low   The evidence is very uncertain about the effect of X on Y.
=========  ==============================  ==========================================
"""

from __future__ import annotations

VERBS = {
    4: ("increases", "reduces", "results in little to no difference in"),
    3: ("probably increases", "probably reduces", "probably results in little to no difference in"),
    2: ("may increase", "may reduce", "may result in little to no difference in"),
}
CERTAINTY_WORDS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}


def size(median: float, benefit: float, harm: float, null: float) -> str:
    """``"none"`` when ``median`` lies between the thresholds, else ``"more"`` or ``"fewer"``
    (events than with the control)."""
    low, high = min(benefit, harm), max(benefit, harm)
    if low < median < high:
        return "none"
    return "more" if median > null else "fewer"


def statement(
    rating: int,
    effect: str,
    treatment: str,
    control: str,
    outcome: str,
    absolute: str = "",
) -> str:
    """One plain-language statement.

    Parameters
    ----------
    rating
        Certainty, 4 (high) to 1 (very low).
    effect
        From :func:`size`: ``"more"``, ``"fewer"`` or ``"none"``.
    treatment, control
        The arms' labels.
    outcome
        How the statement names the outcome (a noun phrase).
    absolute
        The absolute effect in words, added in brackets ('' for none).
    """
    evidence = f"{CERTAINTY_WORDS[rating]}-certainty evidence"
    if rating == 1:
        return (
            f"The evidence is very uncertain about the effect of {treatment} on {outcome} "
            f"compared with {control} ({evidence})."
        )
    more, fewer, none = VERBS[rating]
    verb = {"more": more, "fewer": fewer, "none": none}[effect]
    detail = f"{absolute}; {evidence}" if absolute else evidence
    return f"Compared with {control}, {treatment} {verb} {outcome} ({detail})."


def no_estimate(status: str, reason: str, treatment: str, outcome: str) -> str:
    """The statement of an analysis without a pooled estimate."""
    why = f"{status}: {reason}" if reason else status
    return f"No pooled estimate of the effect of {treatment} on {outcome} ({why})."
