"""Typed settings of the network stage (config ``networks`` and ``network_certainty``).

Kept apart from :mod:`hatmeta.config` so that the network stage adds no weight to the settings
every other stage reads: :func:`network_settings` takes the validated config (schema defaults
filled in) and the typed :class:`hatmeta.config.Settings` it shares its priors, sampler and
gate with. A config without networks gives ``None``: no network rule, no network section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from hatmeta.config import Analysis

if TYPE_CHECKING:
    from hatmeta.config import Gate, PriorSpec, Sampler, Settings


class NetworkSpec(NamedTuple):
    """One configured network."""

    name: str
    title: str
    #: The trials and measures, as an analysis selects them (its pairwise arms are not used).
    selection: Analysis
    #: The heterogeneity prior's name (under priors/heterogeneity).
    prior: str
    #: The pairwise analysis shown beside the network's estimate of the main comparison.
    pairwise: str | None
    #: Comparisons of interest besides every treatment against the reference.
    pairs: tuple[tuple[str, str], ...]
    note: str


class NetworkCertainty(NamedTuple):
    """Thresholds of the network-specific GRADE domains."""

    incoherence_p: float
    indirect_only_down: int
    definitions_down: int


class NetworkSettings(NamedTuple):
    """Everything the network stage reads: only this, so that editing an unrelated setting
    re-runs no network fit."""

    networks: dict[str, NetworkSpec]
    reference: str
    labels: dict[str, str]
    #: The main pairwise comparison's treatment (its control is the reference).
    treatment: str
    priors: dict[str, PriorSpec]
    turner_comparison: str
    effect_sd: float
    baseline_sd: float
    sampler: Sampler
    gate: Gate
    certainty: NetworkCertainty

    def label(self, node: str) -> str:
        """How the report names a treatment (its code when no label is given)."""
        return self.labels.get(node, node)


def _attributes(spec: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((key, tuple(map(str, values))) for key, values in spec.items())


def _pairwise(spec: Mapping[str, Any], settings: Settings) -> str | None:
    if "pairwise" in spec:
        return spec["pairwise"]
    outcome = spec["outcome"]
    same = [a for a, analysis in settings.analyses.items() if analysis.outcome.name == outcome]
    return same[0] if same else None


def network_settings(config: Mapping[str, Any], settings: Settings) -> NetworkSettings | None:
    """The network stage's settings, or None when the config has no networks."""
    configured = config.get("networks") or {}
    if not configured:
        return None
    primary = config["priors"]["primary"]
    networks = {}
    for name, spec in configured.items():
        selection = Analysis(
            name=name,
            title=spec["title"],
            outcome=settings.outcomes[spec["outcome"]],
            measures=tuple(spec["measures"]),
            trials=tuple(spec.get("trials", ())),
            primary_prior=spec.get("prior", primary),
            note=spec.get("note", ""),
            one_definition=bool(spec.get("one_definition", False)),
            select=_attributes(spec.get("select", {})),
            exclude=_attributes(spec.get("exclude", {})),
        )
        networks[name] = NetworkSpec(
            name,
            spec["title"],
            selection,
            spec.get("prior", primary),
            _pairwise(spec, settings),
            tuple((str(a), str(b)) for a, b in spec.get("pairs", ())),
            spec.get("note", ""),
        )
    certainty = config.get("network_certainty", {})
    return NetworkSettings(
        networks=networks,
        reference=settings.treatments.reference,
        labels=dict(settings.treatments.labels),
        treatment=settings.comparison.treatment_arm,
        priors=dict(settings.priors),
        turner_comparison=settings.comparison.turner_comparison,
        effect_sd=settings.model.effect_sd,
        baseline_sd=settings.model.baseline_sd,
        sampler=settings.model.sampler,
        gate=settings.model.gate,
        certainty=NetworkCertainty(
            float(certainty.get("incoherence_p", 0.1)),
            int(certainty.get("indirect_only_down", 1)),
            int(certainty.get("definitions_down", 1)),
        ),
    )
