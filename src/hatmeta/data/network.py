"""The arms a network analysis compares: every arm of every trial, as its treatment node.

A pairwise analysis (:func:`hatmeta.data.tables.analysis_table`) keeps two arms per trial, the
treatment arm and a control arm. A network keeps every arm that has counts, each as the
treatment (node) it is (the sheet's ``node`` column, :mod:`hatmeta.data.sheet`), so that a
trial of three arms enters with all three. Two steps, each a pure function of data frames:

* :func:`network_table` picks, per trial, the measure and the arms one analysis's network
  pools, and says why each arm or trial it leaves out is left out;
* :func:`geometry` describes the network those arms form: its nodes (trials, participants),
  its edges (the trials that compare two nodes directly) and its connected components, so that
  a network in pieces is named as such rather than analysed as one.

:func:`network_arms` is the long arm table a network model consumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from hatmeta.data.sheet import ALL_ARMS
from hatmeta.data.trials import selection

if TYPE_CHECKING:
    from hatmeta.config import Analysis

NETWORK_COLUMNS = [
    "trial",
    "country",
    "year",
    "included",
    "arm",
    "node",
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
#: The columns of :func:`network_arms`: one row per arm a network model takes.
ARM_COLUMNS = ["trial", "node", "arm", "events", "total", "measure", "status", "source", "line"]
#: An included arm's columns taken from its row of the harmonised table.
_FROM_ROW = NETWORK_COLUMNS[NETWORK_COLUMNS.index("arm") : NETWORK_COLUMNS.index("reason")]


def _usable(rows: pd.DataFrame, statuses: Sequence[str]) -> pd.DataFrame:
    return rows[rows["events"].notna() & rows["total"].notna() & rows["status"].isin(statuses)]


def _chosen_measure(usable: pd.DataFrame, measures: Sequence[str]) -> str | None:
    """The first measure with usable counts for two or more nodes of the trial."""
    for measure in measures:
        if usable.loc[usable["measure"] == measure, "node"].nunique() >= 2:
            return measure
    return None


def _trial_reason(rows: pd.DataFrame, trial: str, statuses: Sequence[str]) -> str:
    """Why a trial (not left out by the selection) has no measure a network can use."""
    if rows.empty:
        return f"no row for {trial} with any of the analysis's measures"
    counted = rows[rows["events"].notna() & rows["total"].notna()]
    if counted.empty:
        return "no per-arm counts (events and total) in the sheet; statuses: " + ", ".join(
            sorted(set(rows["status"]))
        )
    per_arm = counted[counted["arm"] != ALL_ARMS]
    if per_arm.empty:
        return "counts only for all arms together; the split by arm was not found"
    allowed = _usable(per_arm, statuses)
    if allowed.empty:
        found = ", ".join(sorted(set(per_arm["status"])))
        return f"counts only from sources with status {found}, not in this evidence set"
    only = ", ".join(
        f"{node} ({measure})"
        for (measure, node), _ in allowed.groupby(["measure", "node"], sort=False)
    )
    return f"usable counts for one arm only in each measure: {only}"


def _arm_reason(rows: pd.DataFrame, measure: str, statuses: Sequence[str]) -> str:
    """Why an arm of an included trial has no usable counts for the trial's measure."""
    rows = rows[rows["measure"] == measure]
    if rows.empty:
        return f"no row for this arm with the trial's measure ({measure})"
    counted = rows[rows["events"].notna() & rows["total"].notna()]
    if counted.empty:
        seen = ", ".join(sorted(set(rows["status"])))
        return f"no counts for the trial's measure ({measure}); status {seen}"
    found = ", ".join(sorted(set(counted["status"])))
    return f"counts for {measure} only with status {found}, not in this evidence set"


def network_table(
    harmonised: pd.DataFrame,
    analysis: Analysis,
    statuses: Sequence[str],
    trials: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every arm one analysis's network pools, and every arm and trial it leaves out, with why.

    Parameters
    ----------
    harmonised
        The harmonised sheet (:func:`hatmeta.data.tables.harmonise`), with each arm's ``node``.
    analysis
        Its ``outcome``, ``measures`` (in order of preference) and trial selection
        (:func:`hatmeta.data.trials.selection`) are used; its pairwise arms are not.
    statuses
        The statuses whose counts are usable (one evidence set).
    trials
        The trials table, or None (then the analysis's ``trials`` list).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NETWORK_COLUMNS`. For each trial, in selection order, the measure is the
        first of ``analysis.measures`` with usable counts (events and total, status in
        ``statuses``) for two or more of its arms, as the pairwise analyses take the first
        with counts for both their arms; every arm with usable counts for it is included (its
        first such row in sheet order), one row per arm. An arm of the trial without them gets
        a row with ``included`` False and the reason, and so does, once, a trial without such
        a measure. One measure per trial: arms are never compared across definitions.
    """
    outcome_rows = harmonised[harmonised["outcome"] == analysis.outcome.name]
    rows = outcome_rows[outcome_rows["measure"].isin(analysis.measures)]
    by_trial = dict(tuple(rows.groupby("trial", sort=False)))
    arms_of = {
        trial: list(dict.fromkeys(group.loc[group["arm"] != ALL_ARMS, "arm"]))
        for trial, group in harmonised.groupby("trial", sort=False)
    }
    out = []
    for trial, left_out in selection(analysis, trials):
        trial_rows = by_trial.get(trial, rows.iloc[:0])
        usable = _usable(trial_rows[trial_rows["arm"] != ALL_ARMS], statuses)
        measure = None if left_out else _chosen_measure(usable, analysis.measures)
        sheet_trial = harmonised[harmonised["trial"] == trial]
        where = {
            "trial": trial,
            "country": sheet_trial["country"].iloc[0] if len(sheet_trial) else "",
            "year": sheet_trial["year"].iloc[0] if len(sheet_trial) else pd.NA,
        }
        if measure is None:
            reason = left_out or _trial_reason(trial_rows, trial, statuses)
            out.append({**where, "included": False, "reason": reason})
            continue
        chosen = usable[usable["measure"] == measure].drop_duplicates("arm")
        for arm in arms_of.get(trial, []):
            taken = chosen[chosen["arm"] == arm]
            if len(taken):
                row = taken.iloc[0]
                out.append({**where, "included": True, **row[_FROM_ROW].to_dict(), "reason": ""})
                continue
            arm_rows = sheet_trial[sheet_trial["arm"] == arm]
            out.append(
                {
                    **where,
                    "included": False,
                    "arm": arm,
                    "node": arm_rows["node"].iloc[0],
                    "measure": measure,
                    "reason": _arm_reason(trial_rows[trial_rows["arm"] == arm], measure, statuses),
                }
            )
    table = pd.DataFrame(out, columns=NETWORK_COLUMNS)
    for column in ("events", "total", "line", "year"):
        table[column] = table[column].astype("Int64")
    table["included"] = table["included"].astype(bool)
    return table


def network_arms(table: pd.DataFrame) -> pd.DataFrame:
    """The included arms of a :func:`network_table` (columns :data:`ARM_COLUMNS`), one row
    per trial and node, counts as integers: what a network model takes."""
    arms = table.loc[table["included"], ARM_COLUMNS].reset_index(drop=True)
    return arms.astype({"events": int, "total": int, "line": int})


class Geometry(NamedTuple):
    """The shape of a network: nodes, edges (direct comparisons) and connected components."""

    #: ``node``, ``trials`` (how many compare it), ``participants`` and ``events`` (summed).
    nodes: pd.DataFrame
    #: ``node_a``, ``node_b`` (in node order), ``n_trials`` and ``trials`` ("A; B").
    edges: pd.DataFrame
    #: The nodes of each connected component, largest first (ties: node order).
    components: tuple[tuple[str, ...], ...]

    @property
    def connected(self) -> bool:
        """Whether every node can be reached from every other (one component)."""
        return len(self.components) <= 1


def geometry(arms: pd.DataFrame, order: Sequence[str] = ()) -> Geometry:
    """The nodes, edges and components of the network formed by ``arms``.

    Parameters
    ----------
    arms
        A :func:`network_arms` table (columns ``trial``, ``node``, ``events``, ``total``).
    order
        Nodes in the order to list them (e.g. the reference first); other nodes follow in
        order of first appearance.
    """
    nodes = list(dict.fromkeys([*[n for n in order if n in set(arms["node"])], *arms["node"]]))
    rank = {node: i for i, node in enumerate(nodes)}
    per_node = arms.groupby("node").agg(
        trials=("trial", "nunique"), participants=("total", "sum"), events=("events", "sum")
    )
    node_table = per_node.reindex(nodes).rename_axis("node").reset_index()
    edge_trials: dict[tuple[str, str], list[str]] = {}
    for trial, group in arms.groupby("trial", sort=False):
        present = sorted(set(group["node"]), key=rank.__getitem__)
        for pair in combinations(present, 2):
            edge_trials.setdefault(pair, []).append(str(trial))
    edges = pd.DataFrame(
        [
            (a, b, len(ts), "; ".join(ts))
            for (a, b), ts in sorted(
                edge_trials.items(), key=lambda e: (rank[e[0][0]], rank[e[0][1]])
            )
        ],
        columns=["node_a", "node_b", "n_trials", "trials"],
    )
    return Geometry(node_table, edges, _components(nodes, edge_trials, rank))


def _components(nodes, edge_trials, rank) -> tuple[tuple[str, ...], ...]:
    """Connected components by graph search, each in node order."""
    neighbours: dict[str, set[str]] = {node: set() for node in nodes}
    for a, b in edge_trials:
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[str] = set()
    components = []
    for start in nodes:
        if start in seen:
            continue
        stack, found = [start], {start}
        while stack:
            for other in neighbours[stack.pop()] - found:
                found.add(other)
                stack.append(other)
        seen |= found
        components.append(tuple(sorted(found, key=rank.__getitem__)))
    return tuple(sorted(components, key=lambda c: (-len(c), rank[c[0]])))
