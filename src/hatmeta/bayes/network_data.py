"""A network's arm table, checked, ordered and padded to the compiled network model's shape.

The network model (:mod:`hatmeta.bayes.network`) is compiled once for a :class:`Shape` (trial
slots x arm positions x treatments) and every network, fixed- or random-effects variant and
node-splitting model that fits in it is a data swap. Smaller networks are padded: a padded arm
has ``events = total = 0`` (a likelihood term that is exactly zero) and ``arm_mask = 0``.

Within a trial the arms are ordered by the network's treatment order (reference first, then as
given), so each trial's baseline arm is its arm of the earliest treatment, as in NICE DSU TSD 2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from hatmeta.bayes.fitdata import MASKED_VARIANCE, log_or_variance
from hatmeta.bayes.network_graph import Designs, require_connected

#: The columns of a network's arm table.
ARM_COLUMNS = ("trial", "treatment", "events", "total")
#: Names of the per-arm data values, each (slots, arms).
ARM_ARRAYS = ("events", "total", "treatment_index", "arm_mask", "split", "sampling_variance")


class NetworkInputError(ValueError):
    """A network's arm table cannot be analysed; the message names the source, trial and row."""


class Shape(NamedTuple):
    """The compiled network model's size: trial slots, arm positions and treatments."""

    slots: int
    arms: int
    treatments: int

    def covers(self, other: Shape) -> bool:
        return all(a >= b for a, b in zip(self, other, strict=True))

    @classmethod
    def covering(cls, *shapes: Shape) -> Shape:
        """The smallest shape that holds every one of ``shapes``."""
        return cls(*(max(values) for values in zip(*shapes, strict=True)))


@dataclass(frozen=True)
class Network:
    """A connected network's arms, as one fit takes them.

    Attributes
    ----------
    arms : pandas.DataFrame
        ``trial``, ``treatment``, ``events``, ``total`` and ``split`` (bool: this arm's contrast
        with its trial's baseline is the node-split comparison's direct evidence), grouped by
        trial, baseline arm first.
    reference : str
        The treatment every basic parameter is relative to.
    treatments : tuple of str
        Reference first, then the others in the network's order.
    random_effects : bool
        Random effects (common heterogeneity ``tau``) or a fixed effect (``tau = 0``).
    split : tuple of (str, str) or None
        The node-split comparison ``(x, y)``, or None for the consistency model.
    dropped : tuple of str
        Arms left out by the node-splitting rule (``"trial: treatment"``).
    """

    arms: pd.DataFrame
    reference: str
    treatments: tuple[str, ...]
    random_effects: bool = True
    split: tuple[str, str] | None = None
    dropped: tuple[str, ...] = ()

    @property
    def trials(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.arms["trial"]))

    def designs(self) -> dict[str, list[str]]:
        """Each trial -> its treatments, baseline first."""
        return {t: list(g["treatment"]) for t, g in self.arms.groupby("trial", sort=False)}

    @property
    def shape(self) -> Shape:
        """The smallest compiled shape this network fits in."""
        sizes = self.arms.groupby("trial", sort=False).size()
        return Shape(len(sizes), int(sizes.max()), len(self.treatments))

    def fixed_effect(self) -> Network:
        """The same network with a fixed effect (``tau = 0``)."""
        return replace(self, random_effects=False)

    def slot_labels(self, shape: Shape) -> list[str]:
        trials = self.trials
        return [*trials, *(f"__pad{i}" for i in range(shape.slots - len(trials)))]

    def arm_labels(self) -> list[str]:
        """``"trial: treatment"`` for every arm, in table order."""
        return [
            f"{t}: {k}" for t, k in zip(self.arms["trial"], self.arms["treatment"], strict=True)
        ]

    def arrays(self, shape: Shape) -> dict[str, np.ndarray]:
        """The per-arm data values padded to ``shape`` (each ``(slots, arms)``; see
        :data:`ARM_ARRAYS`) and the model switch ``random_effects``.

        ``sampling_variance`` is the Woolf variance of each arm's log odds ratio against its
        trial's baseline arm (0.5 added to the four cells of a pair with a zero cell), which
        only steers the partial centring of the trial effects; padded arms and baseline arms
        get :data:`hatmeta.bayes.fitdata.MASKED_VARIANCE`.
        """
        if not shape.covers(self.shape):
            raise ValueError(f"network of shape {tuple(self.shape)} does not fit in {shape}")
        out = {
            "events": np.zeros(shape[:2], dtype="int64"),
            "total": np.zeros(shape[:2], dtype="int64"),
            "treatment_index": np.zeros(shape[:2], dtype="int64"),
            "arm_mask": np.zeros(shape[:2]),
            "split": np.zeros(shape[:2]),
            "sampling_variance": np.full(shape[:2], MASKED_VARIANCE),
        }
        index = {t: i for i, t in enumerate(self.treatments)}
        for slot, (_, trial) in enumerate(self.arms.groupby("trial", sort=False)):
            n = len(trial)
            events = trial["events"].to_numpy(dtype="int64")
            total = trial["total"].to_numpy(dtype="int64")
            treatment = [index[t] for t in trial["treatment"]]
            out["events"][slot, :n] = events
            out["total"][slot, :n] = total
            # A padded arm takes its trial's baseline treatment: its mean contrast is then 0.
            out["treatment_index"][slot, :] = treatment[0]
            out["treatment_index"][slot, :n] = treatment
            out["arm_mask"][slot, :n] = 1.0
            out["split"][slot, :n] = trial["split"].to_numpy(dtype=float)
            out["sampling_variance"][slot, 1:n] = log_or_variance(
                events[1:], total[1:], np.full(n - 1, events[0]), np.full(n - 1, total[0])
            )
        return out | {"random_effects": np.asarray(1.0 if self.random_effects else 0.0)}


def _fail(source: str, problem: str) -> None:
    raise NetworkInputError(f"{source}: {problem}")


def _checked(arms: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in ARM_COLUMNS if c not in arms.columns]
    if missing:
        _fail(source, f"arm table lacks column(s) {', '.join(missing)}")
    table = arms[list(ARM_COLUMNS)].copy()
    for row, rec in table.iterrows():
        where = f"row {row}, trial {rec['trial']!r}"
        if pd.isna(rec["trial"]) or pd.isna(rec["treatment"]):
            _fail(source, f"{where}: trial and treatment must be given")
        for column in ("events", "total"):
            value = rec[column]
            if pd.isna(value) or float(value) != int(float(value)):
                _fail(source, f"{where}: {column} must be a whole number, got {value!r}")
        if not 0 <= int(rec["events"]) <= int(rec["total"]) or int(rec["total"]) < 1:
            _fail(
                source,
                f"{where}: need 0 <= events <= total and total >= 1, got events "
                f"{rec['events']} of {rec['total']}",
            )
    table["trial"] = table["trial"].astype(str)
    table["treatment"] = table["treatment"].astype(str)
    table[["events", "total"]] = table[["events", "total"]].astype("int64")
    repeated = table[table.duplicated(["trial", "treatment"], keep=False)]
    if len(repeated):
        trial, treatment = repeated.iloc[0][["trial", "treatment"]]
        _fail(
            source,
            f"trial {trial!r} has {int((repeated['trial'] == trial).sum())} arms of treatment "
            f"{treatment!r} (rows {', '.join(map(str, repeated.index))}); combine them first",
        )
    per_trial = table.groupby("trial", sort=False)["treatment"].nunique()
    single = per_trial[per_trial < 2]
    if len(single):
        _fail(
            source,
            "each trial needs at least 2 distinct treatments; "
            + ", ".join(f"trial {t!r} has 1" for t in single.index),
        )
    return table


def network_from_arms(
    arms: pd.DataFrame,
    reference: str,
    *,
    order: list[str] | None = None,
    random_effects: bool = True,
    source: str = "arm table",
) -> Network:
    """Check a long arm table and order it for the network model.

    Parameters
    ----------
    arms : pandas.DataFrame
        One row per trial arm: ``trial``, ``treatment``, ``events``, ``total``.
    reference : str
        The treatment every basic parameter is relative to.
    order : list of str, optional
        The other treatments' order (default: first appearance); each trial's baseline arm is
        its earliest treatment in ``[reference, *order]``.
    random_effects : bool, default True
        Random or fixed effect.
    source : str
        Names the table in error messages (e.g. a file and outcome).

    Raises
    ------
    NetworkInputError
        A missing column or value, counts that are not counts, a trial with fewer than two
        distinct treatments, a repeated arm, an unknown reference.
    DisconnectedNetworkError
        The network falls into parts; the message names each part's treatments and trials.
    """
    table = _checked(arms, source)
    present = list(dict.fromkeys(table["treatment"]))
    if reference not in present:
        _fail(source, f"reference treatment {reference!r} is in no trial (have {present})")
    others = [t for t in (order or present) if t != reference]
    if set(others) != set(present) - {reference}:
        _fail(source, f"order {order} does not list exactly the treatments {present}")
    treatments = (reference, *others)
    designs: Designs = {t: list(g["treatment"]) for t, g in table.groupby("trial", sort=False)}
    require_connected(designs, source)
    rank = {t: i for i, t in enumerate(treatments)}
    table["_rank"] = table["treatment"].map(rank)
    table["_trial"] = table["trial"].map({t: i for i, t in enumerate(designs)})
    table = table.sort_values(["_trial", "_rank"], kind="stable").drop(columns=["_rank", "_trial"])
    table["split"] = False
    return Network(table.reset_index(drop=True), reference, treatments, random_effects)


def node_split(network: Network, x: str, y: str) -> Network:
    """The network rewritten for the node-splitting model of ``x`` vs ``y``.

    Following van Valkenhoef et al. (2016; :mod:`hatmeta.bayes.network_graph`), in every trial
    that compared both ``x`` and ``y``, ``x``'s arm is the baseline and ``y``'s contrast with it
    is direct evidence (the model's ``d_direct``): a two-arm trial as it is; a three-arm trial
    keeps only its ``x`` and ``y`` arms (the third arm alone would be no comparison); a trial
    with four or more arms becomes two, its ``x`` and ``y`` arms and its other arms. Every other
    trial is evidence on the consistency parameters, from which ``d_indirect = d_y - d_x``.
    """
    rank = {t: i for i, t in enumerate(network.treatments)}
    if x not in rank or y not in rank or x == y:
        raise ValueError(f"cannot split {x!r} vs {y!r} in a network of {network.treatments}")
    if rank[x] > rank[y]:
        x, y = y, x
    parts, dropped = [], []
    for trial, group in network.arms.groupby("trial", sort=False):
        treatments = set(group["treatment"])
        if not {x, y} <= treatments:
            parts.append(group)
            continue
        pair = group[group["treatment"].isin((x, y))].copy()
        rest = group[~group["treatment"].isin((x, y))].copy()
        pair["split"] = pair["treatment"] == y
        if len(rest) == 0:
            parts.append(pair)
        elif len(rest) == 1:
            parts.append(pair)
            dropped.append(f"{trial}: {rest['treatment'].iloc[0]}")
        else:
            pair["trial"] = f"{trial} ({x} vs {y})"
            rest["trial"] = f"{trial} (other arms)"
            parts += [pair, rest]
    arms = pd.concat(parts, ignore_index=True)
    return replace(network, arms=arms, split=(x, y), dropped=tuple(dropped))
