"""The report's methods section, generated from the config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hatmeta.figures import prior_labels

if TYPE_CHECKING:
    from hatmeta.config import Settings


def prior_table(settings: Settings) -> list[dict[str, Any]]:
    """Every heterogeneity prior as resolved for every analysis, primary marked."""
    rows = []
    for name, analysis in settings.analyses.items():
        labels = prior_labels(analysis, settings.priors, settings.model.turner_comparison)
        rows.append(
            {
                "analysis": name,
                "priors": [
                    {"name": prior, "label": label, "primary": prior == analysis.primary_prior}
                    for prior, label in labels.items()
                ],
            }
        )
    return rows


def _trial_rule(analysis) -> str:
    """The analysis's trials as configured: its list and its attribute selection."""
    parts = [", ".join(analysis.trials)] if analysis.trials else ["every trial of the trials table"]
    for word, rule in (("selecting", analysis.select), ("excluding", analysis.exclude)):
        if rule:
            parts.append(f"{word} " + "; ".join(f"{k}: {', '.join(v)}" for k, v in rule))
    return ", ".join(parts)


def methods(settings: Settings) -> dict[str, Any]:
    """Everything the methods section states, taken from the config."""
    evidence = settings.evidence
    model = settings.model
    return {
        "evidence_sets": [
            {
                "name": name,
                "statuses": ", ".join(statuses),
                "run": name in evidence.run,
                "main": name == evidence.main,
            }
            for name, statuses in evidence.sets.items()
        ],
        "analyses": [
            {
                "name": name,
                "title": a.title,
                "outcome": a.outcome.name,
                "event": a.outcome.event,
                "higher_is_better": a.outcome.higher_is_better,
                "measures": ", ".join(a.measures),
                "trials": _trial_rule(a),
                "note": a.note,
            }
            for name, a in settings.analyses.items()
        ],
        "treatment_arm": settings.comparison.treatment_arm,
        "control_arms": ", ".join(settings.comparison.control_arms),
        "effect_sd": model.effect_sd,
        "baseline_sd": model.baseline_sd,
        "priors": prior_table(settings),
        "relevant_or": model.relevant_or,
        "sampler": model.sampler._asdict(),
        "diagnostics": model.gate._asdict(),
    }
