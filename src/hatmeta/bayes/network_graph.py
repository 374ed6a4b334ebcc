"""The shape of a network of trials: its components, its direct comparisons and its loops.

A network is given by its *designs*: each trial and the treatments it compared. Everything here
is plain graph logic on those designs (no counts, no model), so that it can run before any fit
and be tested on its own.

Which loops can be inconsistent
-------------------------------
Inconsistency is a disagreement between *independent* sources of evidence on one comparison. A
closed loop that lies inside one multi-arm trial (A, B and C all compared in trial 1) cannot be
inconsistent: the trial's three contrasts are consistent by construction. The rule of van
Valkenhoef, Dias, Ades & Welton (2016, Res Synth Methods 7:80-93, "Automated generation of
node-splitting models for assessment of inconsistency in network meta-analysis") decides which
comparisons have evidence from both sides: a comparison x-y with direct evidence is split when x
and y are still connected after every trial that compared *both* x and y is removed. They prove
that this selects only comparisons in potentially inconsistent loops and that every potentially
inconsistent loop contains one selected comparison. The network therefore has a loop formed by
separate trials exactly when the rule selects at least one comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

#: trial -> the treatments it compared (in any order).
Designs = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Component:
    """A connected part of a network: its treatments and the trials that connect them."""

    treatments: tuple[str, ...]
    trials: tuple[str, ...]

    def describe(self) -> str:
        return f"{{{', '.join(self.treatments)}}} (trials: {', '.join(self.trials)})"


class DisconnectedNetworkError(ValueError):
    """The network falls into separate parts; each is named, none is analysed as one network."""

    def __init__(self, components: Sequence[Component], source: str = "network") -> None:
        self.components = tuple(components)
        parts = "; ".join(f"component {i + 1}: {c.describe()}" for i, c in enumerate(components))
        super().__init__(
            f"{source}: the network is disconnected into {len(components)} components, which "
            f"share no treatment and cannot be compared: {parts}"
        )


def treatments_of(designs: Designs) -> list[str]:
    """Every treatment, in order of first appearance."""
    return list(dict.fromkeys(t for arms in designs.values() for t in arms))


def _neighbours(designs: Designs, skip: Iterable[str] = ()) -> dict[str, set[str]]:
    skipped = set(skip)
    graph: dict[str, set[str]] = {t: set() for t in treatments_of(designs)}
    for trial, arms in designs.items():
        if trial in skipped:
            continue
        for a, b in combinations(set(arms), 2):
            graph[a].add(b)
            graph[b].add(a)
    return graph


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for other in graph[stack.pop()] - seen:
            seen.add(other)
            stack.append(other)
    return seen


def components(designs: Designs, order: Sequence[str] | None = None) -> list[Component]:
    """The network's connected components, each with its treatments and trials.

    Parameters
    ----------
    designs : mapping of str to sequence of str
        Each trial and the treatments it compared.
    order : sequence of str, optional
        The order in which treatments are listed (default: first appearance); the component
        holding the first treatment comes first.

    Returns
    -------
    list of Component
        One component for a connected network.
    """
    order = list(order) if order is not None else treatments_of(designs)
    graph = _neighbours(designs)
    out, seen = [], set()
    for treatment in order:
        if treatment in seen or treatment not in graph:
            continue
        part = _reachable(graph, treatment)
        seen |= part
        trials = tuple(trial for trial, arms in designs.items() if set(arms) & part)
        out.append(Component(tuple(t for t in order if t in part), trials))
    return out


def require_connected(designs: Designs, source: str = "network") -> None:
    """Raise :class:`DisconnectedNetworkError`, naming each component, unless connected."""
    parts = components(designs)
    if len(parts) > 1:
        raise DisconnectedNetworkError(parts, source)


def direct_comparisons(
    designs: Designs, order: Sequence[str] | None = None
) -> dict[tuple[str, str], tuple[str, ...]]:
    """Each pair of treatments compared within a trial -> the trials that compared them.

    A pair is ordered as in ``order`` (default: first appearance); pairs are listed in that
    order too.
    """
    order = list(order) if order is not None else treatments_of(designs)
    rank = {t: i for i, t in enumerate(order)}
    pairs: dict[tuple[str, str], list[str]] = {}
    for trial, arms in designs.items():
        for a, b in combinations(sorted(set(arms), key=rank.__getitem__), 2):
            pairs.setdefault((a, b), []).append(trial)
    return {
        pair: tuple(pairs[pair]) for pair in sorted(pairs, key=lambda p: (rank[p[0]], rank[p[1]]))
    }


def splittable_comparisons(
    designs: Designs, order: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """The comparisons with both direct and independent indirect evidence (module docstring).

    x-y is selected when x and y remain connected after removing every trial that compared both.
    """
    out = []
    for (x, y), _ in direct_comparisons(designs, order).items():
        both = [trial for trial, arms in designs.items() if x in arms and y in arms]
        if y in _reachable(_neighbours(designs, skip=both), x):
            out.append((x, y))
    return out


def has_closed_loop(designs: Designs) -> bool:
    """Whether the graph of direct comparisons has a cycle (edges > treatments - components)."""
    n_edges = len(direct_comparisons(designs))
    return n_edges > len(treatments_of(designs)) - len(components(designs))


@dataclass(frozen=True)
class LoopAssessment:
    """Whether inconsistency can be assessed, which comparisons to split, and why, in words."""

    assessable: bool
    comparisons: tuple[tuple[str, str], ...]
    statement: str


def assess_loops(designs: Designs, order: Sequence[str] | None = None) -> LoopAssessment:
    """Say whether the network has a closed loop formed by separate trials (module docstring).

    Returns
    -------
    LoopAssessment
        ``assessable`` with the comparisons to split (node-splitting), or the statement that
        inconsistency is not assessable and the reason: either there is no closed loop at all, or
        every closed loop lies inside a multi-arm trial (named).
    """
    split = splittable_comparisons(designs, order)
    if split:
        names = ", ".join(f"{x} vs {y}" for x, y in split)
        return LoopAssessment(
            True,
            tuple(split),
            f"The network has closed loops formed by separate trials; {len(split)} "
            f"comparison(s) have both direct and independent indirect evidence and are "
            f"node-split: {names}.",
        )
    multi = [trial for trial, arms in designs.items() if len(set(arms)) >= 3]
    if has_closed_loop(designs):
        statement = (
            "Inconsistency not assessable: the only closed loops in the network lie within "
            f"multi-arm trials ({', '.join(multi)}), whose comparisons are consistent by "
            "construction; no comparison has both direct evidence and indirect evidence "
            "from other trials."
        )
    else:
        statement = (
            "Inconsistency not assessable: the network has no closed loop; each comparison is "
            "informed either by direct evidence or by indirect evidence, never by both."
        )
    return LoopAssessment(False, (), statement)
