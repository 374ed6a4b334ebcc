"""One analysis's counts as the compiled model takes them: padded to a fixed size, masked.

The model is compiled once for the largest analysis of a run (:mod:`hatmeta.bayes.model`);
every smaller analysis fills the remaining slots with empty data and ``mask = 0``, and a
leave-one-out refit masks one more slot. Shapes never change, so no fit recompiles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hatmeta.bayes.model import ARM_DATA_NAMES

_PAD_PREFIX = "__pad"
_ROLES = ("treatment", "control")
#: The sampling variance given to a masked slot: so large that its effect is fully non-centred.
MASKED_VARIANCE = 1e6


def log_or_variance(
    y_treatment: np.ndarray, n_treatment: np.ndarray, y_control: np.ndarray, n_control: np.ndarray
) -> np.ndarray:
    """Woolf's variance of each trial's log odds ratio (0.5 added to every cell of a trial with
    a zero cell). It only steers the sampler's parameterisation, never the likelihood."""
    cells = np.stack(
        [y_treatment, n_treatment - y_treatment, y_control, n_control - y_control], axis=-1
    ).astype(float)
    cells[(cells == 0).any(axis=-1)] += 0.5
    return (1.0 / cells).sum(axis=-1)


@dataclass(frozen=True)
class FitData:
    """Padded arm counts and inclusion mask for one analysis.

    Attributes
    ----------
    trials : tuple of str
        Trial names in input order; slot ``i`` holds ``trials[i]`` and the remaining slots are
        padding.
    y_control, n_control, y_treatment, n_treatment : numpy.ndarray
        Event and participant counts (int64, length ``n_slots``); zero in masked slots.
    mask : numpy.ndarray
        1.0 for included trials, 0.0 for padding and left-out trials.
    """

    trials: tuple[str, ...]
    y_control: np.ndarray
    n_control: np.ndarray
    y_treatment: np.ndarray
    n_treatment: np.ndarray
    mask: np.ndarray

    def __post_init__(self) -> None:
        n_slots = self.mask.shape[0]
        if len(self.trials) > n_slots:
            raise ValueError(f"{len(self.trials)} trials do not fit in {n_slots} slots")
        for name in ARM_DATA_NAMES:
            values = getattr(self, name)
            if values.shape != (n_slots,):
                raise ValueError(f"{name} must have shape ({n_slots},)")
            if np.any(values[self.mask == 0] != 0):
                # Non-zero counts in a masked slot would leak into the posterior.
                raise ValueError(f"{name} must be 0 in masked slots")
        if np.any(self.y_control > self.n_control) or np.any(self.y_treatment > self.n_treatment):
            raise ValueError("events exceed totals")
        if not np.all(np.isin(self.mask, (0.0, 1.0))):
            raise ValueError("mask must be 0/1")
        if self.mask[len(self.trials) :].any():
            raise ValueError("padding slots must be masked")

    @classmethod
    def from_arms(cls, arms: pd.DataFrame, n_trials: int) -> FitData:
        """Build padded arrays from the tidy arm table.

        Parameters
        ----------
        arms : pandas.DataFrame
            One row per trial x role with columns ``trial``, ``role`` (``"treatment"`` or
            ``"control"``), ``events``, ``total``. Each trial has exactly one row per role.
        n_trials : int
            Number of slots of the compiled model (>= number of trials).

        Returns
        -------
        FitData
            Trials in order of first appearance, all included.
        """
        missing = {"trial", "role", "events", "total"} - set(arms.columns)
        if missing:
            raise ValueError(f"arm table lacks columns {sorted(missing)}")
        if not set(arms["role"]).issubset(_ROLES):
            raise ValueError(f"roles must be {_ROLES}, got {sorted(set(arms['role']))}")
        if arms.duplicated(["trial", "role"]).any():
            raise ValueError("each trial needs exactly one row per role")
        trials = tuple(str(t) for t in pd.unique(arms["trial"]))
        wide = arms.pivot(index="trial", columns="role", values=["events", "total"]).loc[
            list(trials)
        ]
        if wide.isna().any().any() or wide.shape[1] != 4:
            raise ValueError("each trial needs one treatment and one control row")
        if (wide["total"] <= 0).any().any() or (wide["events"] < 0).any().any():
            raise ValueError("totals must be > 0 and events >= 0")
        if len(trials) > n_trials:
            raise ValueError(f"{len(trials)} trials exceed the compiled size {n_trials}")

        def padded(column: tuple[str, str]) -> np.ndarray:
            out = np.zeros(n_trials, dtype="int64")
            out[: len(trials)] = wide[column].to_numpy(dtype="int64")
            return out

        mask = np.zeros(n_trials)
        mask[: len(trials)] = 1.0
        return cls(
            trials=trials,
            y_control=padded(("events", "control")),
            n_control=padded(("total", "control")),
            y_treatment=padded(("events", "treatment")),
            n_treatment=padded(("total", "treatment")),
            mask=mask,
        )

    @property
    def n_slots(self) -> int:
        """Number of slots (the compiled model size)."""
        return int(self.mask.shape[0])

    @property
    def included(self) -> tuple[str, ...]:
        """Names of the trials that contribute to the fit."""
        return tuple(t for t, m in zip(self.trials, self.mask, strict=False) if m)

    def slot_labels(self) -> list[str]:
        """Trial names followed by labels for the padding slots."""
        n_pad = self.n_slots - len(self.trials)
        return [*self.trials, *(f"{_PAD_PREFIX}{i}" for i in range(n_pad))]

    def without(self, *trials: str) -> FitData:
        """Return a copy with ``trials`` masked and their counts zeroed (exact refits)."""
        unknown = [t for t in trials if t not in self.trials]
        if unknown:
            raise KeyError(f"unknown trial {unknown[0]!r}")
        arrays = {name: getattr(self, name).copy() for name in (*ARM_DATA_NAMES, "mask")}
        for trial in trials:
            for values in arrays.values():
                values[self.trials.index(trial)] = 0
        return replace(self, **arrays)

    def with_counts(self, trial: str, y_treatment: int, y_control: int) -> FitData:
        """Return a copy with ``trial``'s event counts replaced (e.g. by imputed counts)."""
        i = self.trials.index(trial)
        y_t, y_c = self.y_treatment.copy(), self.y_control.copy()
        y_t[i], y_c[i] = y_treatment, y_control
        return replace(self, y_treatment=y_t, y_control=y_c)

    def sampling_variance(self) -> np.ndarray:
        """Per slot: the included trials' log-OR variance, :data:`MASKED_VARIANCE` elsewhere."""
        included = self.mask > 0
        variance = np.full(self.n_slots, MASKED_VARIANCE)
        variance[included] = log_or_variance(
            self.y_treatment[included],
            self.n_treatment[included],
            self.y_control[included],
            self.n_control[included],
        )
        return variance

    def data_arrays(self) -> dict[str, np.ndarray]:
        """Return the ``pm.Data`` values for the counts, mask and sampling variances."""
        arrays = {name: getattr(self, name) for name in (*ARM_DATA_NAMES, "mask")}
        return arrays | {"sampling_variance": self.sampling_variance()}
