"""What every certainty row shares, whichever model pooled the analysis.

:mod:`hatmeta.certainty.assess` rates an analysis from its binomial fit and
:mod:`hatmeta.certainty.events` one whose counts are events from its rate fit; both start a row
with :func:`row_head`, name the outcome with :func:`outcome_name` and end it with
:func:`rated` (the panel's overrides, the rating and the footnotes). They live here so that
neither of the two imports the other's helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hatmeta.certainty.domains import (
    RATINGS,
    Domain,
    footnoted,
    override,
    rating,
    symbols,
)

if TYPE_CHECKING:
    from hatmeta.config import Analysis, CertaintySettings

#: Separates footnotes in one CSV cell.
SEPARATOR = " | "


@dataclass(frozen=True)
class FitInputs:
    """What the certainty of one analysis is judged from."""

    trials: pd.DataFrame
    summary: pd.DataFrame | None  # indexed by quantity; None for a fit without data
    diagnostics: dict[str, Any]
    log_or_draws: np.ndarray | None
    i2: float
    follow_up: str


def outcome_name(analysis: Analysis, settings: CertaintySettings, events: bool = False) -> str:
    """How the statements name the analysis's outcome (``events``: counts of events, which a
    participant may have several of)."""
    outcome = analysis.outcome
    default = (
        f"the rate of the event '{outcome.event}'"
        if events
        else f"the number of people with the outcome '{outcome.event}'"
    )
    return settings.outcome_labels.get(outcome.name) or default


def row_head(
    analysis: Analysis, trials: pd.DataFrame, follow_up: str, status: str, reason: str
) -> dict[str, Any]:
    """The columns every certainty row starts with: the analysis, its trials and status."""
    participants = (
        int(trials["total_treatment"].sum() + trials["total_control"].sum()) if len(trials) else 0
    )
    return {
        "analysis": analysis.name,
        "title": analysis.title,
        "outcome": analysis.outcome.name,
        "event": analysis.outcome.event,
        "higher_is_better": bool(analysis.outcome.higher_is_better),
        "follow_up": follow_up,
        "status": status,
        "reason": reason,
        "n_trials": len(trials),
        "n_participants": participants,
    }


def rated(domains: list[Domain], analysis: Analysis, settings: CertaintySettings) -> dict[str, Any]:
    """Each domain's columns after the panel's overrides, the rating and the footnotes."""
    chosen = settings.overrides.get(analysis.name, {})
    domains = [override(d, chosen) for d in domains]
    value = rating(domains)
    notes = footnoted(domains)
    out: dict[str, Any] = {}
    for d in domains:
        out |= {
            f"{d.domain}_level": d.level,
            f"{d.domain}": d.words,
            f"{d.domain}_reason": d.numbers,
            f"{d.domain}_rule": d.rule,
        }
    return out | {
        "rating": value,
        "certainty": RATINGS[value],
        "symbols": symbols(value),
        "footnotes": SEPARATOR.join(d.footnote() for d in notes),
        "notes": SEPARATOR.join(d.footnote(rule=False) for d in notes),
    }
