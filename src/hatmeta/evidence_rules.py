"""What an analysis's trials allow it to say.

Four rules, each stated in the report where it applies:

* **Events, not participants.** Counts whose unit is events (a participant may have several,
  as for serious adverse events) are not binomial counts of participants. Such an analysis is
  not modelled by the Bayesian binomial model or by the classical 2 x 2 methods; it is pooled as
  events over person-time by the rate model (:mod:`hatmeta.bayes.rate_stage`), which states how
  the person-time was obtained.
* **Mixed outcome definitions.** When the included trials measure the outcome in different ways
  (more than one measure), the odds ratio is pooled but no risk ratio or risk difference: those
  need one baseline risk of one outcome, and a baseline averaged over different outcomes has no
  meaning. An analysis whose measures are one definition (the same outcome at different
  follow-up times) says so in the config (``one_definition``, with the reason in its note).
* **A stated baseline.** Otherwise the risk ratio and risk difference are the pooled odds ratio
  applied to one baseline risk: the outcome's configured ``baseline_risk`` (with its source) or,
  by default, the included trials' control arms pooled (events over participants, so that a
  large trial counts as much as its size).
* **Sparse data.** With fewer than ``sparse_data.min_trials`` trials or ``min_events`` events
  (both arms, all trials), the analysis is reported as insufficient evidence with its counts,
  without probabilities of benefit: such a posterior mostly restates its priors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

    from hatmeta.config import Analysis, SparseData

#: The unit of a count of participants with the event (the sheet's ``unit`` column).
PARTICIPANTS = "participants"
#: The binomial fit's status for counts of events, which the rate model pools instead.
NOT_MODELLED = "not modelled"


class TrialCounts(NamedTuple):
    """The included trials of one analysis table, counted."""

    trials: tuple[str, ...]
    participants: int
    events: int
    control_events: int
    control_participants: int
    measures: tuple[str, ...]
    units: tuple[str, ...]

    @classmethod
    def of(cls, table: pd.DataFrame) -> TrialCounts:
        rows = table[table["included"].astype(bool)]
        control = rows[rows["role"] == "control"]
        return cls(
            trials=tuple(dict.fromkeys(rows["trial"])),
            participants=int(rows["total"].sum()),
            events=int(rows["events"].sum()),
            control_events=int(control["events"].sum()),
            control_participants=int(control["total"].sum()),
            measures=tuple(dict.fromkeys(rows["measure"])),
            units=tuple(dict.fromkeys(rows["unit"])),
        )

    @property
    def counts_events(self) -> bool:
        """Whether any count is of events rather than of participants."""
        return any(unit != PARTICIPANTS for unit in self.units)


class Baseline(NamedTuple):
    """The baseline (control) risk the risk ratio and risk difference are computed at."""

    risk: float
    source: str


def baseline(counts: TrialCounts, analysis: Analysis) -> tuple[Baseline | None, str]:
    """The baseline for the risk ratio and risk difference, or None and why there is none."""
    outcome = analysis.outcome
    if len(counts.measures) > 1 and not analysis.one_definition:
        return None, (
            "the trials define the outcome differently ("
            + ", ".join(counts.measures)
            + "), so no single baseline risk applies"
        )
    if outcome.baseline_risk is not None:
        return Baseline(outcome.baseline_risk, outcome.baseline_source), ""
    if counts.control_participants == 0:
        return None, "no control arm to take a baseline risk from"
    risk = counts.control_events / counts.control_participants
    source = (
        f"control arms of the {len(counts.trials)} included trial(s) pooled: "
        f"{counts.control_events}/{counts.control_participants}"
    )
    return Baseline(risk, source), ""


def sufficiency(counts: TrialCounts, rules: SparseData) -> str:
    """Why the evidence is insufficient for probabilities of benefit ('' when it is not)."""
    short = []
    if len(counts.trials) < rules.min_trials:
        short.append(f"{plural(len(counts.trials), 'trial')} (fewer than {rules.min_trials})")
    if counts.events < rules.min_events:
        short.append(f"{plural(counts.events, 'event')} (fewer than {rules.min_events})")
    return " and ".join(short)


def rated_by_rates(fit_status: str, rate_fitted: bool) -> bool:
    """Whether an analysis's result is its rate fit rather than its binomial fit: its counts
    are events (the binomial model left it :data:`NOT_MODELLED`) and the rate model pooled them.

    The one decision the certainty stage and the report both take, so that the summary of
    findings, the Bayesian detail and the plain-language text speak of the same result.
    """
    return rate_fitted and fit_status == NOT_MODELLED


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def record(counts: TrialCounts, analysis: Analysis) -> dict[str, Any]:
    """The evidence counts and the baseline decision, for a fit's diagnostics."""
    chosen, why_not = baseline(counts, analysis)
    return counts._asdict() | {
        "baseline_risk": None if chosen is None else chosen.risk,
        "baseline_source": "" if chosen is None else chosen.source,
        "no_absolute_measures": why_not,
    }
