"""Checks run once at start-up, before any job: what the config names is in the data.

The config is valid on its own (:func:`hatmeta.config.validate`); here it meets the data. Every
data file it names exists and reads; the extraction sheet validates; every trial, arm, measure
and outcome the config names occurs in the sheet (with the closest key as a suggestion); every
analysis of the main evidence set has a trial with counts; the risk-of-bias file (when
configured) validates and judges every trial of every analysis; and the RIOTT section finds
its trial, arms, counts and testing facts. A problem stops the run before any job is scheduled, so
nothing under ``results/`` is touched; what an analysis loses is said in the run's output.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from hatmeta.config_checks import keyed
from hatmeta.yamltext import Positions

if TYPE_CHECKING:
    from hatmeta.config import Settings


class InputError(ValueError):
    """The inputs cannot run: the message lists every problem with its file, key and line."""


def _normal(text: str) -> str:
    return re.sub(r"[\s_\-./]", "", str(text)).lower()


def suggestion(value: str, known: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest known name, or nothing."""
    by_normal = {_normal(k): k for k in known}
    match = by_normal.get(_normal(value))
    if match is None:
        close = difflib.get_close_matches(_normal(value), list(by_normal), n=1, cutoff=0.6)
        match = by_normal[close[0]] if close else None
    return f" (did you mean '{match}'?)" if match is not None else ""


class _Problems:
    """Problems about config keys, each placed at the key's line in the config file."""

    def __init__(self, source: str, positions: Positions):
        self.source, self.positions, self.items = source, positions, []

    def add(self, key: Sequence, message: str) -> None:
        self.items.append(keyed(key, message, self.positions, self.source))

    def require(
        self, key: Sequence, value: str, what: str, known: Iterable[str], sheet: str
    ) -> bool:
        """Whether ``value`` is one of ``known``; if not, a problem with the closest name."""
        known = set(known)
        if value not in known:
            hint = suggestion(value, sorted(known))
            self.add(key, f"{what} '{value}' is not in {sheet}{hint}")
        return value in known


def _data_files(settings: Settings, problems: _Problems) -> bool:
    from pathlib import Path

    ok = True
    for key, path in settings.data._asdict().items():
        if path is not None and not Path(path).is_file():
            problems.add(("data", key), f"file '{path}' does not exist")
            ok = False
    return ok


def _attribute_names(settings: Settings, trials: pd.DataFrame, problems: _Problems) -> None:
    """Every attribute an analysis selects or excludes on is a column of the trials table, and
    every value it names occurs in that column."""
    from hatmeta.data.trials import attributes

    path = settings.data.trials
    columns = attributes(trials)
    for name, analysis in settings.analyses.items():
        for rule, spec in (("select", analysis.select), ("exclude", analysis.exclude)):
            for attribute, values in spec:
                key = ("analyses", name, rule, attribute)
                if not problems.require(key, attribute, "trial attribute", columns, path):
                    continue
                for i, value in enumerate(values):
                    what = f"value of {attribute}"
                    problems.require((*key, i), value, what, trials[attribute], path)


def _names(
    settings: Settings,
    sheet: pd.DataFrame,
    path: str,
    problems: _Problems,
    trials: pd.DataFrame | None = None,
) -> None:
    for name, analysis in settings.analyses.items():
        for i, trial in enumerate(analysis.trials):
            problems.require(("analyses", name, "trials", i), trial, "trial", sheet["trial"], path)
        outcome = analysis.outcome.name
        problems.require(("analyses", name, "outcome"), outcome, "outcome", sheet["outcome"], path)
        # A measure may sit under another outcome: an analysis can add it on purpose.
        for i, measure in enumerate(analysis.measures):
            key = ("analyses", name, "measures", i)
            problems.require(key, measure, "measure", sheet["measure"], path)
    comparison = settings.comparison
    if trials is not None:
        _attribute_names(settings, trials, problems)
    key = ("comparison", "treatment_arm")
    problems.require(key, comparison.treatment_arm, "arm", sheet["arm"], path)
    for i, arm in enumerate(comparison.control_arms):
        problems.require(("comparison", "control_arms", i), arm, "arm", sheet["arm"], path)


def _coverage(settings: Settings, analyses: dict, problems: _Problems) -> list[str]:
    """Stop (or warn) for an empty analysis of the main set; note every trial left out."""
    from hatmeta.data.tables import left_out_line

    notes = []
    main = settings.evidence.main
    for (evidence, name), table in analyses.items():
        included = table.loc[table["included"], "trial"].unique()
        left_out = table.loc[~table["included"], ["trial", "reason"]]
        if len(included) == 0 and evidence == main:
            message = (
                f"no trial has counts in evidence set '{evidence}' "
                f"({'; '.join(f'{t}: {r}' for t, r in left_out.itertuples(index=False))}); "
                "fix the sheet or the analysis, or set checks/analysis_without_data to warn"
            )
            if settings.checks.analysis_without_data == "stop":
                problems.add(("analyses", name), message)
                continue
            notes.append(f"WARNING {name}: {message}")
        if len(left_out):
            notes.append(f"{evidence}/{name}: {left_out_line(table)}")
    return notes


def _riott(settings: Settings, harmonised: pd.DataFrame, path: str, problems: _Problems):
    from hatmeta.riott.facts import published_counts, read_design
    from hatmeta.yamltext import YamlFileError

    riott = settings.riott
    if not problems.require(("riott", "trial"), riott.trial, "trial", harmonised["trial"], path):
        return
    rows = harmonised[harmonised["trial"] == riott.trial]
    what = f"arm of {riott.trial}"
    for role, arm in riott.arms.items():
        if not problems.require(("riott", "arms", role), arm, what, rows["arm"], path):
            return
    for key, measure in (
        ("measure", riott.measure),
        ("retention_measure", riott.retention_measure),
    ):
        try:
            published_counts(harmonised, riott.trial, measure, riott.arms)
        except ValueError as err:
            known = rows["measure"]
            problems.add(("riott", key), f"{err} in {path}{suggestion(measure, known)}")
    facts_path = settings.data.riott_testing
    try:
        read_design(facts_path)
    except YamlFileError as err:
        problems.add(("data", "riott_testing"), str(err))
    except (KeyError, TypeError, ValueError) as err:
        problems.add(
            ("data", "riott_testing"),
            f"{facts_path} lacks or mistypes {err} (needs schedule/tests_per_patient, "
            "responder_rule/min_negative_fraction and missing_excess_anchor/value)",
        )


def check(settings: Settings, source: str, positions: Positions) -> list[str]:
    """Run every start-up check; return what the run's output should say.

    Raises
    ------
    InputError
        Listing every problem found, each with its file, key and (where written) line.
    """
    from hatmeta.data.csvtext import ExtractionError
    from hatmeta.data.tables import build_tables

    problems = _Problems(source, positions)
    if not _data_files(settings, problems):
        raise InputError(
            "the config names data files that do not exist:\n" + "\n".join(problems.items)
        )
    data = settings.data
    try:
        built = build_tables(data.extraction, data.bibliography, settings.extract)
    except ExtractionError as err:
        raise InputError(str(err)) from None
    _names(settings, built["sheet"], data.extraction, problems, built["trials"])
    if problems.items:
        lacking = data.extraction if data.trials is None else f"{data.extraction} or {data.trials}"
        raise InputError(f"{source} names what {lacking} lacks:\n" + "\n".join(problems.items))
    if data.risk_of_bias is not None or data.rob2_answers is not None:
        from hatmeta.certainty.rob_assessment import load_checked

        try:
            load_checked(
                data.risk_of_bias,
                data.bibliography,
                settings.outcomes,
                built["sheet"]["trial"].unique(),
                settings.analyses,
                data.rob2_answers,
                settings.certainty.rob_several_concerns_high,
            )
        except ExtractionError as err:
            message = str(err).replace("in the extraction data", "in the risk-of-bias files")
            raise InputError(message) from None
    notes = _coverage(settings, built["analyses"], problems)
    if settings.riott is not None:
        _riott(settings, built["harmonised"], data.extraction, problems)
    if problems.items:
        raise InputError(f"{source} cannot run on its data:\n" + "\n".join(problems.items))
    return notes
