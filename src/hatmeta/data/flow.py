"""Study flow: what each trial is, and which analysis uses it or why not.

Three tables from the trials table, the extraction audit and the analysis tables of one
evidence set, and nothing else (no figure is computed here that the extract stage did not
already decide):

* :func:`characteristics`: one row per trial of the trials table, with its arms and the
  numbers randomised to each (the sheet's ``randomised`` rows), its attributes and its sources
  (the trials table's and every source key the sheet cites for the trial);
* :func:`flow_matrix`: trial x analysis, ``included`` or the reason the analysis table gives;
* :func:`flow_counts`: how many trials are known, how many have usable counts (events and
  totals in the treatment arm and a control arm for some measure, with a status of the
  evidence set) and how many each primary analysis (the first listed for its outcome) includes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from hatmeta.config import primary_analyses
from hatmeta.data.sheet import ALL_ARMS, RANDOMISED
from hatmeta.data.tables import _first_usable, included_arms
from hatmeta.data.trials import source_keys

if TYPE_CHECKING:
    from hatmeta.config import Analysis, Comparison

CHARACTERISTICS_COLUMNS = [
    "trial",
    "country",
    "years",
    "arms",
    "randomised",
    "route",
    "supervision",
    "control",
    "follow_up",
    "primary_outcome",
    "sources",
    "note",
]
INCLUDED = "included"
COUNT_COLUMNS = ["stage", "analysis", "n_trials", "trials"]


def _arms(rows: pd.DataFrame, labels: Mapping[str, str]) -> tuple[str, str]:
    """The arms randomised (``label n``) and the total randomised, as text."""
    rows = rows[rows["outcome"] == RANDOMISED]
    arms, whole = [], ""
    for row in rows.itertuples(index=False):
        total = "not found" if pd.isna(row.total) else str(int(row.total))
        if row.arm == ALL_ARMS:
            whole = total
        else:
            arms.append(f"{labels.get(row.arm, row.arm)} {total}")
    sizes = rows.loc[(rows["arm"] != ALL_ARMS) & rows["total"].notna(), "total"]
    if not whole and len(sizes) and len(sizes) == (rows["arm"] != ALL_ARMS).sum():
        whole = str(int(sizes.sum()))
    return "; ".join(arms) or "not found", whole or "not found"


def characteristics(
    trials: pd.DataFrame, audit: pd.DataFrame, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per trial of the trials table (module docstring); ``labels`` name the arms."""
    labels = labels or {}
    out = []
    for row in trials.to_dict("records"):
        rows = audit[audit["trial"] == row["trial"]]
        arms, randomised = _arms(rows, labels)
        keys = [*source_keys(row["source"]), *rows["source"].dropna().astype(str)]
        out.append(
            {
                **{c: row[c] for c in CHARACTERISTICS_COLUMNS if c in row},
                "arms": arms,
                "randomised": randomised,
                "sources": "; ".join(dict.fromkeys(keys)),
            }
        )
    return pd.DataFrame(out, columns=CHARACTERISTICS_COLUMNS)


def flow_matrix(tables: Mapping[str, pd.DataFrame], trials: Sequence[str]) -> pd.DataFrame:
    """Trial x analysis: ``included`` or the analysis table's reason (empty when the analysis
    does not list the trial, which happens only without a trials table)."""
    out = pd.DataFrame({"trial": list(trials)})
    for name, table in tables.items():
        reasons = {
            row.trial: INCLUDED if row.included else str(row.reason)
            for row in table.drop_duplicates("trial").itertuples(index=False)
        }
        out[name] = [reasons.get(trial, "") for trial in out["trial"]]
    return out


def usable_trials(
    harmonised: pd.DataFrame, comparison: Comparison, statuses: Sequence[str]
) -> list[str]:
    """Trials with counts in the treatment arm and a control arm for some measure."""
    usable = []
    for trial, rows in harmonised.groupby("trial", sort=False):
        measures = list(dict.fromkeys(rows["measure"]))
        if _first_usable(rows, measures, comparison, statuses) is not None:
            usable.append(str(trial))
    return usable


def flow_counts(
    trials: Sequence[str],
    harmonised: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    analyses: Mapping[str, Analysis],
    comparison: Comparison,
    statuses: Sequence[str],
) -> pd.DataFrame:
    """Trials known, with usable counts, and in each primary analysis (module docstring)."""
    usable = set(usable_trials(harmonised, comparison, statuses))
    stages = [
        ("trials known", "", list(trials)),
        ("with usable counts", "", [t for t in trials if t in usable]),
    ]
    for name in primary_analyses(analyses):
        included = list(dict.fromkeys(included_arms(tables[name])["trial"]))
        stages.append((f"in {analyses[name].title}", name, included))
    return pd.DataFrame(
        [(stage, name, len(ts), "; ".join(ts)) for stage, name, ts in stages],
        columns=COUNT_COLUMNS,
    )


class TrialFlow(NamedTuple):
    characteristics: pd.DataFrame
    matrix: pd.DataFrame
    counts: pd.DataFrame


def trial_flow(
    trials_path,
    bibliography_path,
    audit_path,
    harmonised_path,
    table_paths: Mapping[str, str],
    analyses: Mapping[str, Analysis],
    comparison: Comparison,
    statuses: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> TrialFlow:
    """The three study-flow tables from the files the extract stage wrote (module docstring).

    ``table_paths`` maps each analysis to its table (of one evidence set, whose statuses are
    ``statuses``).
    """
    from hatmeta.data.sheet import load_bibliography
    from hatmeta.data.tables import read_analysis_table
    from hatmeta.data.trials import load_trials

    audit = pd.read_csv(audit_path, keep_default_na=False, na_values=[""])
    trials = load_trials(trials_path, load_bibliography(bibliography_path), audit["trial"])
    harmonised = pd.read_csv(harmonised_path, keep_default_na=False, na_values=[""])
    tables = {name: read_analysis_table(table_paths[name]) for name in analyses}
    order = list(trials["trial"])
    return TrialFlow(
        characteristics(trials, audit, labels),
        flow_matrix(tables, order),
        flow_counts(order, harmonised, tables, analyses, comparison, statuses),
    )
