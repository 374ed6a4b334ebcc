"""Indirectness: whether the trials answer the question asked, from the config and the sheet.

Reasons, each counted once:

* the analysis's trials define the outcome differently (more than one measure used) and the
  analysis does not declare them one definition (``one_definition``);
* some trials compare with a control of another kind (their control arm is listed under
  ``comparison/comparator_sensitivity``); their share of the inverse-variance weight is given;
* the outcome is declared a surrogate or composite (``outcomes/<name>/indirect/reason``);
* the panel judged the analysis indirect (``analyses/<name>/indirect/reason``);
* for counts of events pooled over person-time, person-time approximated rather than published
  (the rate stage's ``exposure_approximated``, with its reason): one reason.

One reason or more: serious (1). Two or more are very serious (2) only when
``certainty/indirectness/very_serious_with_two_reasons`` is true (default false: reasons of
different kinds rarely add up to a different question).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hatmeta.certainty.domains import Domain

if TYPE_CHECKING:
    import pandas as pd

    from hatmeta.config import Analysis, CertaintySettings


def reasons(
    analysis: Analysis,
    trials: pd.DataFrame,
    settings: CertaintySettings,
    weights: pd.Series | None = None,
) -> list[str]:
    """Every reason for indirectness of one analysis (``trials``: the fit's included trials,
    with ``trial``, ``measure``, ``arm_control``; ``weights``: each trial's weight, by default
    that of its log odds ratio)."""
    from hatmeta.certainty.risk_of_bias import log_or_weights, weights_share

    found = []
    measures = list(dict.fromkeys(trials["measure"])) if len(trials) else []
    if len(measures) > 1 and not analysis.one_definition:
        found.append(f"the trials define the outcome differently ({', '.join(measures)})")
    if len(trials):
        other = trials[trials["arm_control"].isin(settings.comparator_controls)]["trial"]
        if len(other):
            share = weights_share(log_or_weights(trials) if weights is None else weights, other)
            arms = ", ".join(sorted(set(trials.loc[other.index, "arm_control"])))
            found.append(
                f"{', '.join(other)} compare(s) with a control of another kind ({arms}; "
                f"{100 * share:.0f}% of the weight)"
            )
    outcome = settings.outcome_indirect.get(analysis.outcome.name)
    if outcome:
        found.append(f"the outcome is indirect: {outcome}")
    own = settings.analysis_indirect.get(analysis.name)
    if own:
        found.append(f"judged indirect: {own}")
    return found


def rule_text(settings: CertaintySettings) -> str:
    """The rule in words, as configured."""
    return (
        "one reason or more (different outcome definitions, a control of another kind, an "
        "outcome declared surrogate or composite, the panel's judgement, person-time "
        "approximated for counts of events): serious; "
        + (
            "two or more: very serious"
            if settings.indirect_very_serious_with_two
            else "several reasons still one level"
        )
    )


def assess(
    analysis: Analysis,
    trials: pd.DataFrame,
    settings: CertaintySettings,
    extra: Sequence[str] = (),
    weights: pd.Series | None = None,
) -> Domain:
    """The indirectness domain of one analysis: :func:`reasons`, and ``extra`` reasons of the
    model's data (person-time approximated), each one reason."""
    two = settings.indirect_very_serious_with_two
    rule = rule_text(settings)
    found = [*reasons(analysis, trials, settings, weights), *extra]
    level = 0 if not found else (2 if two and len(found) >= 2 else 1)
    numbers = ("; ".join(found) + ".") if found else "No reason for indirectness found."
    return Domain("indirectness", level, rule, numbers[0].upper() + numbers[1:])
