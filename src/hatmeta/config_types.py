"""The typed settings a validated config becomes (:func:`hatmeta.config.settings`), and their
accessors.

They are ``NamedTuple`` on purpose: Snakemake records a rule's ``params`` by their ``repr`` only
when they are builtin types, tuples included, so passing a settings object as a parameter
re-runs a rule exactly when its own settings change. The library never sees the raw nested
dicts of the config. :mod:`hatmeta.config` re-exports every name here, so
``from hatmeta.config import Analysis`` is the usual import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings


class DataFiles(NamedTuple):
    """The hand-entered inputs; optional stages run only when their file is configured."""

    extraction: str
    bibliography: str
    published_effects: str | None
    riott_testing: str | None
    trials: str | None = None
    risk_of_bias: str | None = None
    rob2_answers: str | None = None


class Outcome(NamedTuple):
    name: str
    event: str
    higher_is_better: bool
    turner_outcome_type: str | None
    baseline_risk: float | None = None  # configured control risk for RR and RD, with its source
    baseline_source: str = ""


class Analysis(NamedTuple):
    """One analysis: the outcome it pools, from which measures and trials, under which prior."""

    name: str
    title: str
    outcome: Outcome
    measures: tuple[str, ...]
    trials: tuple[str, ...]
    primary_prior: str
    note: str
    one_definition: bool = False  # the measures are one definition (module evidence_rules)
    #: Trial attributes kept and left out, as ``((attribute, (value, ...)), ...)`` (schema).
    select: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Comparison(NamedTuple):
    """The arms compared, and how the report names them."""

    treatment_arm: str
    control_arms: tuple[str, ...]
    turner_comparison: str
    treatment_label: str
    control_label: str


class Treatments(NamedTuple):
    """The treatments (network nodes) the sheet's arms are: how the report names them (empty:
    by their codes, and any code is a node) and the node the others are compared with."""

    labels: dict[str, str]
    reference: str


class PriorSpec(NamedTuple):
    """A heterogeneity prior as configured (resolved per analysis by :mod:`hatmeta.priors`)."""

    name: str
    family: str
    scale: float | None = None
    mean: float | None = None
    sd: float | None = None


class Sampler(NamedTuple):
    """NUTS settings: first draws per chain, the cap, and the step-size targets in order."""

    draws: int
    max_draws: int
    tune: int
    chains: int
    target_accept: tuple[float, ...]
    adaptation: str
    seed: int


class Gate(NamedTuple):
    """Convergence thresholds every fit must meet, and what a failure does."""

    r_hat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences_max: int
    on_failure: str


class Evidence(NamedTuple):
    """Named sets of statuses; every analysis is run on each set in ``run`` (``run[0]`` first)."""

    sets: dict[str, tuple[str, ...]]
    run: tuple[str, ...]

    @property
    def main(self) -> str:
        return self.run[0]


class SparseData(NamedTuple):
    """Below these counts an analysis is reported as insufficient evidence."""

    min_trials: int
    min_events: int


class Checks(NamedTuple):
    """What the start-up checks of the extraction sheet refuse."""

    #: ``stop`` or ``warn`` when an analysis of the main evidence set has no trial with counts.
    analysis_without_data: str
    #: Percentage points a percentage from multiple imputation may be from its counts.
    imputation_tolerance: float


class ModelSettings(NamedTuple):
    """Everything a fit depends on (a change to any of it re-runs the fits)."""

    analyses: dict[str, Analysis]
    turner_comparison: str
    comparator_controls: tuple[str, ...]
    effect_sd: float
    baseline_sd: float
    relevant_or: float
    sampler: Sampler
    gate: Gate


class RateSettings(NamedTuple):
    """The rate model of event counts: rates are reported per ``per_person_years``."""

    per_person_years: float = 100.0


def primary_analyses(analyses: Mapping[str, Analysis]) -> list[str]:
    """The first analysis listed for each outcome; the others are its sensitivity analyses
    (the trial flow counts the primary ones, the summary of findings labels the others)."""
    first: dict[str, str] = {}
    for name, analysis in analyses.items():
        first.setdefault(analysis.outcome.name, name)
    return list(first.values())


def sensitivity_of(analyses: Mapping[str, Analysis]) -> dict[str, str]:
    """Each sensitivity analysis (every analysis after the first of its outcome) with its
    primary analysis (:func:`primary_analyses`)."""
    primary = {analyses[name].outcome.name: name for name in primary_analyses(analyses)}
    return {
        name: primary[analysis.outcome.name]
        for name, analysis in analyses.items()
        if primary[analysis.outcome.name] != name
    }


class ExtraBaseline(NamedTuple):
    """A further control risk the summary of findings shows absolute effects at."""

    label: str
    value: float
    source: str


class Override(NamedTuple):
    """The panel's level for one domain of one analysis, replacing the domain's rule."""

    level: int
    reason: str


class CertaintySettings(NamedTuple):
    """Everything the GRADE certainty stage depends on (:mod:`hatmeta.certainty`): the
    analyses and arms it words, and each domain's thresholds, as configured under
    ``certainty`` (defaults in the schema). Kept apart from the model's settings so that a
    changed threshold or override re-runs only the certainty stage and the report."""

    analyses: dict[str, Analysis]
    treatment_label: str
    control_label: str
    comparator_controls: tuple[str, ...]
    relevant_or: float
    sparse_data: SparseData
    #: How the plain-language statements name each outcome (by outcome name).
    outcome_labels: dict[str, str]
    #: Reasons for indirectness: of an outcome (surrogate, composite) and of an analysis.
    outcome_indirect: dict[str, str]
    analysis_indirect: dict[str, str]
    baseline_risks: dict[str, tuple[ExtraBaseline, ...]]
    rob_serious_share: float
    rob_very_serious_high_share: float
    #: RoB 2: some concerns in at least this many domains is high overall (None: never), and
    #: the review's reason.
    rob_several_concerns_high: int | None
    rob_several_concerns_reason: str
    tau_serious: float
    tau_very_serious: float
    prediction_interval: bool
    indirect_very_serious_with_two: bool
    relative_risk_reduction: float
    alpha: float
    power: float
    publication_min_trials: int
    publication_p: float
    publication_predictor: str
    #: ``overrides[analysis][domain]``
    overrides: dict[str, dict[str, Override]]


class ReportSettings(NamedTuple):
    title: str
    model_checks_analysis: str


class Settings(NamedTuple):
    """The whole validated configuration, typed."""

    data: DataFiles
    outcomes: dict[str, Outcome]
    analyses: dict[str, Analysis]
    comparison: Comparison
    evidence: Evidence
    priors: dict[str, PriorSpec]
    model: ModelSettings
    report: ReportSettings
    sparse_data: SparseData
    checks: Checks
    riott: RiottSettings | None
    rates: RateSettings = RateSettings()
    certainty: CertaintySettings | None = None
    treatments: Treatments | None = None

    def analysis(self, name: str) -> Analysis:
        return self.analyses[name]

    def prior(self, name: str) -> PriorSpec:
        return self.priors[name]

    @property
    def extract(self) -> ExtractSettings:
        return ExtractSettings(
            self.outcomes,
            self.analyses,
            self.comparison,
            self.evidence,
            self.checks,
            self.data.trials,
            tuple(self.treatments.labels) if self.treatments else (),
        )


class ExtractSettings(NamedTuple):
    """What the extract stage depends on."""

    outcomes: dict[str, Outcome]
    analyses: dict[str, Analysis]
    comparison: Comparison
    evidence: Evidence
    checks: Checks
    #: The trials table (``data/trials``), read beside the sheet; None when not configured.
    trials: str | None = None
    #: The nodes the sheet's arms may be (``treatments/labels``); empty: any code.
    nodes: tuple[str, ...] = ()
