"""Tidy analysis tables from a validated extraction sheet.

Three steps, each a pure function of data frames and configuration:

* :func:`harmonise` gives every figure the direction of its outcome's modelled event
  (e.g. a reported count of participants who relapsed becomes a count of those who did not);
* :func:`analysis_table` picks, per trial, the measure and arms one analysis pools, and says
  why each trial it leaves out is left out;
* :func:`audit_table` lists every figure of the sheet with its status, source and use.

An analysis table written by the extract stage is read back through
:func:`analysis_table_schema` (pandera), which restores its dtypes; :func:`included_arms` and
:func:`trial_rows` are the two views of it that the modelling and classical stages use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from hatmeta.data.sheet import ALL_ARMS, RANDOMISED, derived_count, percent_agrees
from hatmeta.data.trials import selection

if TYPE_CHECKING:
    from hatmeta.config import Analysis, Comparison, ExtractSettings, Outcome

HARMONISED_COLUMNS = [
    "trial",
    "country",
    "year",
    "arm",
    "node",
    "outcome",
    "measure",
    "definition",
    "timepoint",
    "event",
    "higher_is_better",
    "events",
    "total",
    "unit",
    "flipped",
    "status",
    "source",
    "location",
    "line",
]


def harmonise(sheet: pd.DataFrame, outcomes: Mapping[str, Outcome]) -> pd.DataFrame:
    """Express every outcome row as a count of its outcome's modelled event.

    A row whose ``event_direction`` differs from the direction of the outcome's ``event``
    (``higher_is_better``) counts the complement, so it is flipped to ``total - events``.
    Rows without both events and total keep missing counts: nothing is imputed.
    """
    rows = sheet[sheet["outcome"] != RANDOMISED].copy()
    higher_is_better = rows["outcome"].map(lambda o: outcomes[o].higher_is_better)
    event_is_favourable = rows["event_direction"] == "favourable"
    rows["flipped"] = event_is_favourable != higher_is_better
    flip = rows["flipped"] & rows["events"].notna() & rows["total"].notna()
    rows.loc[flip, "events"] = rows.loc[flip, "total"] - rows.loc[flip, "events"]
    # A count without its total cannot be flipped; drop it rather than keep a wrong direction.
    rows.loc[rows["flipped"] & rows["total"].isna(), "events"] = pd.NA
    rows["event"] = rows["outcome"].map(lambda o: outcomes[o].event)
    rows["higher_is_better"] = higher_is_better
    return rows[HARMONISED_COLUMNS].reset_index(drop=True)


ANALYSIS_COLUMNS = [
    "trial",
    "country",
    "year",
    "included",
    "role",
    "arm",
    "measure",
    "definition",
    "timepoint",
    "events",
    "total",
    "unit",
    "status",
    "source",
    "location",
    "line",
    "reason",
]


def _usable(rows: pd.DataFrame, statuses: Sequence[str]) -> pd.DataFrame:
    return rows[rows["events"].notna() & rows["total"].notna() & rows["status"].isin(statuses)]


def _exclusion_reason(
    trial_rows: pd.DataFrame, trial: str, arms: Sequence[str], statuses: Sequence[str]
) -> str:
    if trial_rows.empty:
        return f"no row for {trial} with any of the analysis's measures"
    treatment_arm, *control_arms = arms
    with_counts = trial_rows[trial_rows["events"].notna() & trial_rows["total"].notna()]
    if with_counts.empty:
        statuses_seen = ", ".join(sorted(set(trial_rows["status"])))
        return f"no per-arm counts (events and total) in the sheet; statuses: {statuses_seen}"
    arm_counts = with_counts[with_counts["arm"] != ALL_ARMS]
    if arm_counts.empty:
        return "counts only for both arms together; the split by arm was not found"
    with_counts = arm_counts
    allowed = with_counts[with_counts["status"].isin(statuses)]
    if allowed.empty:
        found = ", ".join(sorted(set(with_counts["status"])))
        return f"counts only from sources with status {found}, not in this evidence set"
    if treatment_arm not in set(allowed["arm"]):
        return f"no counts for the {treatment_arm} arm"
    return f"no counts for a control arm ({', '.join(control_arms)})"


def _first_usable(
    trial_rows: pd.DataFrame, measures: Sequence[str], comparison: Comparison, statuses
) -> tuple[pd.Series, pd.Series] | None:
    """The treatment and control rows of the first measure with usable counts in both arms."""
    usable_rows = _usable(trial_rows, statuses)  # once per trial, then split by measure
    for measure in measures:
        usable = usable_rows[usable_rows["measure"] == measure]
        treated = usable[usable["arm"] == comparison.treatment_arm]
        control = next(
            (
                usable[usable["arm"] == arm]
                for arm in comparison.control_arms
                if (usable["arm"] == arm).any()
            ),
            None,
        )
        if len(treated) and control is not None:
            return treated.iloc[0], control.iloc[0]
    return None


#: The columns an included trial's arm rows carry over from the harmonised table.
_ARM_COLUMNS = ANALYSIS_COLUMNS[ANALYSIS_COLUMNS.index("arm") : ANALYSIS_COLUMNS.index("reason")]


def analysis_table(
    harmonised: pd.DataFrame,
    analysis: Analysis,
    comparison: Comparison,
    statuses: Sequence[str],
    trials: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows one analysis pools: two per included trial, one per excluded trial.

    The trials are those of :func:`hatmeta.data.trials.selection` (``analysis.trials``
    without a trials table); a trial that the selection leaves out gets its reason. For each
    other trial, in that order, the first measure in
    ``analysis.measures`` with usable counts (events and total present, status in
    ``statuses``) for the treatment arm and for a control arm is taken; the control is the
    first arm in ``comparison.control_arms`` with such counts. Within a measure, rows are
    taken in sheet order. A trial with no such measure gets one row with ``included`` False
    and the reason.
    """
    rows = harmonised[harmonised["measure"].isin(analysis.measures)]
    arms = [comparison.treatment_arm, *comparison.control_arms]
    # Each trial's rows in sheet order, split once (not one filter of the sheet per trial).
    by_trial = dict(tuple(rows.groupby("trial", sort=False)))
    out = []
    for trial, left_out in selection(analysis, trials):
        trial_rows = by_trial.get(trial, rows.iloc[:0])
        chosen = (
            None if left_out else _first_usable(trial_rows, analysis.measures, comparison, statuses)
        )
        if chosen is None:
            sheet_trial = harmonised[harmonised["trial"] == trial]
            out.append(
                {
                    "trial": trial,
                    "country": sheet_trial["country"].iloc[0] if len(sheet_trial) else "",
                    "year": sheet_trial["year"].iloc[0] if len(sheet_trial) else pd.NA,
                    "included": False,
                    "reason": left_out or _exclusion_reason(trial_rows, trial, arms, statuses),
                }
            )
            continue
        for role, row in zip(("treatment", "control"), chosen, strict=True):
            out.append(
                {
                    **row[ANALYSIS_COLUMNS[:3]].to_dict(),
                    "included": True,
                    "role": role,
                    **row[_ARM_COLUMNS].to_dict(),
                    "reason": "",
                }
            )
    table = pd.DataFrame(out, columns=ANALYSIS_COLUMNS)
    for column in ("events", "total", "line", "year"):
        table[column] = table[column].astype("Int64")
    return table


def left_out_line(table: pd.DataFrame) -> str:
    """``k of n trials, left out A, B (reason); C (reason)``: what an analysis table uses."""
    included = table.loc[table["included"].astype(bool), "trial"].unique()
    left_out = table.loc[~table["included"].astype(bool), ["trial", "reason"]]
    line = f"{len(included)} of {len(included) + len(left_out)} trials"
    if len(left_out):
        reasons = left_out.groupby("reason", sort=False)["trial"].agg(", ".join)
        line += ", left out " + "; ".join(f"{t} ({r})" for r, t in reasons.items())
    return line


def _derivation(row: pd.Series) -> str:
    percent = row["percent_text"]
    if row["status"] == "not_found":
        return "not found"
    if not percent or pd.isna(row["total"]):
        return ""
    if row["status"] == "derived" or (row["status"] == "secondary" and pd.notna(row["events"])):
        count = derived_count(percent, int(row["total"]))
        if pd.notna(row["events"]) and int(row["events"]) == count:
            return f"round({percent}% x {int(row['total'])}) = {count}"
    if pd.notna(row["events"]):
        if row["percent_basis"] == "imputation":
            return "percentage from multiple imputation; not compared with counts"
        if percent_agrees(percent, int(row["events"]), int(row["total"])):
            return f"{percent}% agrees with {int(row['events'])}/{int(row['total'])}"
    return ""


def audit_table(
    sheet: pd.DataFrame,
    bibliography: pd.DataFrame,
    used_in: Mapping[int, Sequence[str]],
) -> pd.DataFrame:
    """Every figure of the sheet with its status, source, citation, derivation and use.

    ``used_in`` maps a sheet line to the ``evidence/analysis`` names that pool it.
    """
    citations = dict(zip(bibliography["key"], bibliography["citation"], strict=True))
    audit = sheet.copy()
    audit["citation"] = audit["source"].map(citations)
    audit["derivation"] = audit.apply(_derivation, axis=1)
    audit["used_in"] = audit["line"].map(lambda line: "; ".join(sorted(used_in.get(line, []))))
    columns = [
        "line",
        "trial",
        "arm",
        "node",
        "outcome",
        "measure",
        "definition",
        "timepoint",
        "population",
        "events",
        "total",
        "percent_text",
        "unit",
        "status",
        "source",
        "citation",
        "location",
        "derivation",
        "used_in",
        "note",
    ]
    return audit[columns].rename(columns={"percent_text": "percent_reported"})


def build_tables(
    sheet_path, bibliography_path, settings: ExtractSettings
) -> dict[str, pd.DataFrame | dict[tuple[str, str], pd.DataFrame] | None]:
    """Run the whole extract stage: load, check, harmonise, select.

    Returns
    -------
    dict
        ``sheet`` (the validated sheet), ``harmonised`` (every outcome figure), ``analyses``
        (``{(evidence, analysis): table}``), ``audit`` (every sheet row with its use) and
        ``trials`` (the trials table ``settings.trials``, None when there is none).
    """
    from hatmeta.data.sheet import load_bibliography, load_sheet
    from hatmeta.data.trials import load_trials

    bibliography = load_bibliography(bibliography_path)
    sheet = load_sheet(
        sheet_path,
        bibliography,
        settings.outcomes,
        settings.checks.imputation_tolerance,
        settings.nodes,
    )
    trials = (
        None
        if settings.trials is None
        else load_trials(settings.trials, bibliography, sheet["trial"])
    )
    harmonised = harmonise(sheet, settings.outcomes)
    analyses = {}
    used_in: dict[int, list[str]] = {}
    for evidence in settings.evidence.run:
        statuses = settings.evidence.sets[evidence]
        for name, analysis in settings.analyses.items():
            table = analysis_table(harmonised, analysis, settings.comparison, statuses, trials)
            analyses[(evidence, name)] = table
            for line in table.loc[table["included"], "line"]:
                used_in.setdefault(int(line), []).append(f"{evidence}/{name}")
    return {
        "sheet": sheet,
        "harmonised": harmonised,
        "analyses": analyses,
        "audit": audit_table(sheet, bibliography, used_in),
        "trials": trials,
    }


@cache
def analysis_table_schema():
    """An analysis table as the extract stage writes it; reading through it restores the
    dtypes. Built on first use: pandera costs half a second to import."""
    import pandera.pandas as pa

    count = pa.Column("Int64", pa.Check.ge(0), nullable=True, coerce=True)
    text = pa.Column(str, nullable=True, coerce=True)
    return pa.DataFrameSchema(
        {
            "trial": pa.Column(str, coerce=True),
            "country": text,
            "year": count,
            "included": pa.Column(bool, coerce=True),
            "role": pa.Column(
                str, pa.Check.isin(["treatment", "control"]), nullable=True, coerce=True
            ),
            "arm": text,
            "measure": text,
            "definition": text,
            "timepoint": text,
            "events": count,
            "total": count,
            "unit": text,
            "status": text,
            "source": text,
            "location": text,
            "line": count,
            "reason": text,
        },
        strict=True,
        ordered=True,
    )


def read_analysis_csv(path) -> pd.DataFrame:
    """An analysis table as written, not validated: for a reader that only looks at it (a
    notebook), where pandera's import would be most of the cost. Trial keys stay text."""
    return pd.read_csv(path, dtype={"trial": str}, keep_default_na=False, na_values=[""])


def read_analysis_table(path) -> pd.DataFrame:
    """Read an analysis table written by the extract stage, with its dtypes restored."""
    return analysis_table_schema().validate(read_analysis_csv(path))


def included_arms(table: pd.DataFrame) -> pd.DataFrame:
    """The included rows of an analysis table (two per trial), in table order."""
    return table[table["included"].astype(bool)].reset_index(drop=True)


def _label(trial: str, country, year) -> str:
    """A trial's label in tables and plots: country and year, or its key without a country."""
    return f"{country} {int(year)}" if isinstance(country, str) and country else str(trial)


TRIAL_COLUMNS = [
    "trial",
    "label",
    "measure",
    "definition",
    "status_treatment",
    "status_control",
    "events_treatment",
    "total_treatment",
    "events_control",
    "total_control",
    "arm_control",
]


def trial_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One row per included trial with its label, measure and both arms' counts."""
    arms = included_arms(table)
    if arms.empty:
        return pd.DataFrame(columns=TRIAL_COLUMNS)
    wide = arms.pivot(
        index="trial", columns="role", values=["events", "total", "status", "arm"]
    ).loc[pd.unique(arms["trial"])]
    first = arms.drop_duplicates("trial").set_index("trial")
    out = pd.DataFrame(
        {
            "trial": wide.index,
            "label": [_label(t, first.at[t, "country"], first.at[t, "year"]) for t in wide.index],
            "measure": first["measure"].to_numpy(),
            "definition": first["definition"].to_numpy(),
            "status_treatment": wide[("status", "treatment")].to_numpy(),
            "status_control": wide[("status", "control")].to_numpy(),
            "events_treatment": wide[("events", "treatment")].astype(int).to_numpy(),
            "total_treatment": wide[("total", "treatment")].astype(int).to_numpy(),
            "events_control": wide[("events", "control")].astype(int).to_numpy(),
            "total_control": wide[("total", "control")].astype(int).to_numpy(),
            "arm_control": wide[("arm", "control")].to_numpy(),
        }
    )
    return out.reset_index(drop=True)
