"""Random-effects meta-analysis of event counts over exposure (a Poisson rate model).

Counts whose unit is *events* (a participant may have several) are not binomial. Given the
person-time each arm was followed, they are Poisson counts of a rate::

    y_control_i   ~ Poisson(E_control_i   * exp(mu_i))
    y_treatment_i ~ Poisson(E_treatment_i * exp(mu_i + delta_i))
    delta_i ~ Normal(d, tau)                     trial log rate ratios
    d ~ Normal(0, effect_sd)                     pooled log rate ratio
    tau ~ a heterogeneity prior (hatmeta.priors), as in the binomial model

``mu_i`` is the control arm's log rate per unit of exposure (per person-year when exposure is in
person-years). As in :mod:`hatmeta.bayes.model` the arms are parameterised symmetrically,
``m_i ~ Normal(0, baseline_sd)`` the mean of the two arms' log rates and ``mu_i = m_i -
delta_i / 2``, and the trial effects are partially centred with the weight
``tau^2 / (tau^2 + v_i)``, ``v_i = 1 / y_control_i + 1 / y_treatment_i`` the variance of the
observed log rate ratio (0.5 added to both counts of a trial with a zero count). The structure
is compiled once; analyses and priors are data swaps, and smaller analyses are padded with
masked slots whose likelihood is multiplied by zero.

Exposure
--------
Person-time is taken from a ``person_years`` column when the data have one. Otherwise it is
approximated as participants x follow-up (:func:`follow_up_years` reads the row's time point):
as if every participant had been followed, and at risk, for the whole period. The approximation
is written beside every result (``exposure_approximated`` and the reason), because it makes the
rates indirect: participants who left early contributed less time, so approximated rates are
too low, and the rate ratio is biased if the arms kept participants differently.

Absolute effects
----------------
The control-arm rate is the included trials' control arms pooled (total events over total
person-time), a stated number, not a model quantity. The rate with the intervention is that
rate times the rate ratio, and the difference is their difference, both per posterior draw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from hatmeta.bayes.fitdata import MASKED_VARIANCE
from hatmeta.bayes.model import (
    SCALAR_DATA_NAMES,
    TRIAL_DIM,
    check_size,
    effects,
    placeholder_labels,
    scalar_data,
)
from hatmeta.bayes.sampling import ModelRunner
from hatmeta.bayes.summaries import interval_row
from hatmeta.intervals import CI_PROB

if TYPE_CHECKING:
    from hatmeta.priors import HeterogeneityPrior

#: Rows of the ``counts`` container (int, one column per slot).
COUNT_NAMES = ("y_control", "y_treatment")
#: Rows of the ``trial_data`` container.
SLOT_NAMES = ("mask", "sampling_variance", "exposure_control", "exposure_treatment")

#: Follow-up units in years.
_UNIT_YEARS = {"day": 1 / 365.25, "week": 1 / 52, "month": 1 / 12, "year": 1.0}
_TIMEPOINT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)


def follow_up_years(timepoint: str) -> float:
    """A time point such as ``"12 months"``, ``"26 weeks"`` or ``"1 year"`` in years.

    Weeks are 1/52 of a year (26 weeks = 0.5), months 1/12, days 1/365.25.
    """
    match = _TIMEPOINT.match(str(timepoint))
    if match is None:
        raise ValueError(f"cannot read a follow-up time from {timepoint!r}")
    return float(match.group(1)) * _UNIT_YEARS[match.group(2).lower()]


def exposures(arms: pd.DataFrame) -> pd.DataFrame:
    """Each arm's exposure in person-years, and whether and why it is approximated.

    ``arms`` has ``total`` and ``timepoint`` per row, and optionally ``person_years``. Adds
    ``person_years``, ``exposure_approximated`` (bool) and ``exposure_basis`` (words).
    """
    out = arms.copy()
    published = out["person_years"] if "person_years" in out else pd.Series(np.nan, out.index)
    years = out["timepoint"].map(follow_up_years)
    approximated = published.isna()
    out["person_years"] = np.where(approximated, out["total"].astype(float) * years, published)
    out["exposure_approximated"] = approximated.to_numpy()
    out["exposure_basis"] = [
        (
            f"approximated: {int(total)} participants x {y:g} year(s) ({tp}); person-time not "
            "published"
            if approx
            else "published person-years"
        )
        for total, tp, y, approx in zip(
            out["total"], out["timepoint"], years, approximated, strict=True
        )
    ]
    return out


def _log_rate_ratio_variance(y_control: np.ndarray, y_treatment: np.ndarray) -> np.ndarray:
    cells = np.stack([y_control, y_treatment], axis=1).astype(float)
    cells[(cells == 0).any(axis=1)] += 0.5
    return (1.0 / cells).sum(axis=1)


@dataclass(frozen=True)
class RateData:
    """Event counts and exposures of the included trials, padded to ``n_slots`` slots."""

    trials: tuple[str, ...]
    y_control: np.ndarray
    y_treatment: np.ndarray
    exposure_control: np.ndarray
    exposure_treatment: np.ndarray
    n_slots: int

    @classmethod
    def from_arms(cls, arms: pd.DataFrame, n_slots: int) -> RateData:
        """From rows with ``trial``, ``role`` (treatment/control), ``events`` and
        ``person_years``, two per trial."""
        trials = tuple(dict.fromkeys(arms["trial"]))
        if len(trials) > n_slots:
            raise ValueError(f"{len(trials)} trials for {n_slots} slots")
        by_role = {
            role: arms[arms["role"] == role].set_index("trial").loc[list(trials)]
            for role in ("control", "treatment")
        }

        def padded(role: str, column: str, fill: float) -> np.ndarray:
            values = np.full(n_slots, fill, dtype=float)
            values[: len(trials)] = by_role[role][column].to_numpy(dtype=float)
            return values

        return cls(
            trials,
            padded("control", "events", 0).astype("int64"),
            padded("treatment", "events", 0).astype("int64"),
            # A masked slot has exposure 1 so that its (masked) log-likelihood stays finite.
            padded("control", "person_years", 1.0),
            padded("treatment", "person_years", 1.0),
            n_slots,
        )

    @property
    def mask(self) -> np.ndarray:
        return np.arange(self.n_slots) < len(self.trials)

    def slot_labels(self) -> list[str]:
        return [*self.trials, *placeholder_labels(self.n_slots)[len(self.trials) :]]

    def data_arrays(self) -> dict[str, np.ndarray]:
        variance = np.full(self.n_slots, MASKED_VARIANCE)
        n = len(self.trials)
        variance[:n] = _log_rate_ratio_variance(self.y_control[:n], self.y_treatment[:n])
        return {
            "y_control": self.y_control,
            "y_treatment": self.y_treatment,
            "mask": self.mask.astype(float),
            "sampling_variance": variance,
            "exposure_control": self.exposure_control,
            "exposure_treatment": self.exposure_treatment,
        }

    def control_rate(self) -> tuple[float, float, float]:
        """The control arms pooled: (events, person-years, events per person-year)."""
        n = len(self.trials)
        events, time = float(self.y_control[:n].sum()), float(self.exposure_control[:n].sum())
        return events, time, events / time


def pack(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Named data values packed into the rate model's containers."""
    return {
        "counts": np.stack([np.asarray(values[n]) for n in COUNT_NAMES]).astype("int64"),
        "trial_data": np.stack([np.asarray(values[n], dtype=float) for n in SLOT_NAMES]),
        "priors": np.stack([np.asarray(values[n], dtype=float) for n in SCALAR_DATA_NAMES]),
    }


def build_rate_model(n_trials: int, coords: Sequence[str] | None = None) -> pm.Model:
    """Build the Poisson random-effects rate model with ``n_trials`` slots (module docstring).

    Containers: ``counts`` (rows :data:`COUNT_NAMES`), ``trial_data`` (rows
    :data:`SLOT_NAMES`) and ``priors`` (as in :func:`hatmeta.bayes.model.build_model`). The
    likelihood is a potential, the Poisson log-likelihood without its constant, times the mask
    (a masked slot's term does not depend on any parameter).
    """
    check_size(n_trials, "n_trials")
    labels = list(coords) if coords is not None else placeholder_labels(n_trials)
    with pm.Model(coords={TRIAL_DIM: labels}) as model:
        counts = pm.Data("counts", np.zeros((len(COUNT_NAMES), n_trials), dtype="int64"))
        slots = pm.Data("trial_data", np.ones((len(SLOT_NAMES), n_trials)))
        mask, variance, e_control, e_treatment = (slots[i] for i in range(len(SLOT_NAMES)))
        priors = scalar_data(SCALAR_DATA_NAMES)
        _, _, delta = effects(priors, variance)
        m = pm.Normal("m", mu=0.0, sigma=priors["baseline_sd"], dims=TRIAL_DIM)
        mu = pm.Deterministic("mu", m - delta / 2.0, dims=TRIAL_DIM)
        # A masked slot's log rates are set to 0 before they meet exp(): its latents roam their
        # prior (m ~ Normal(0, baseline_sd)), and exp() of a large one would overflow and turn
        # the masked term into 0 * inf. Its term is then a constant, and is masked anyway.
        control = mask * mu
        treated = mask * (m + delta / 2.0)
        loglik = (
            counts[0] * (pt.log(e_control) + control)
            - e_control * pt.exp(control)
            + counts[1] * (pt.log(e_treatment) + treated)
            - e_treatment * pt.exp(treated)
        )
        pm.Potential("likelihood", pt.sum(mask * loglik))
    return model


class RateRunner(ModelRunner):
    """:class:`hatmeta.bayes.sampling.ModelRunner` for the rate model: the same sampling to
    target, another compiled structure."""

    def build(self, n_trials: int) -> pm.Model:
        return build_rate_model(n_trials)

    def pack(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return pack(arrays)

    def label(
        self,
        tree: xr.DataTree,
        data: RateData,
        arrays: Mapping[str, np.ndarray],
        prior: HeterogeneityPrior,
        seed: int,
    ) -> xr.DataTree:
        keep = list(data.trials)
        posterior = tree["posterior"].to_dataset()
        posterior = posterior.assign_coords({TRIAL_DIM: data.slot_labels()}).sel({TRIAL_DIM: keep})
        per_trial = {
            name: ((TRIAL_DIM,), np.asarray(arrays[name])[: len(keep)])
            for name in (*COUNT_NAMES, *SLOT_NAMES)
        }
        scalars = {name: ((), np.asarray(v)) for name, v in arrays.items() if np.ndim(v) == 0}
        coords = {TRIAL_DIM: keep}
        out = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": tree["sample_stats"].to_dataset(),
                "observed_data": xr.Dataset({k: per_trial[k] for k in COUNT_NAMES}, coords=coords),
                "constant_data": xr.Dataset(
                    {**{k: per_trial[k] for k in SLOT_NAMES}, **scalars}, coords=coords
                ),
            }
        )
        out.attrs.update({"prior_name": prior.name, "prior_label": prior.label, "seed": int(seed)})
        return out


def summarise_rates(
    tree: xr.DataTree,
    control: tuple[float, float, float],
    per: float = 100.0,
    ci_prob: float = CI_PROB,
) -> pd.DataFrame:
    """Rate ratio, P(rate ratio > 1), tau, the predicted rate ratio in a new trial, and the
    rates per ``per`` person-years without and with the intervention and their difference.

    ``control`` is :meth:`RateData.control_rate`: the pooled control arms' events,
    person-years and rate, the baseline every absolute effect is computed at.
    """
    post = tree["posterior"]
    d = np.asarray(post["d"]).ravel()
    ratio = np.exp(d)
    events, time, rate = control
    unit = f"events per {per:g} person-years"
    baseline = f"control arms pooled: {events:g} events / {time:g} person-years"
    rows = [
        interval_row("rate_ratio", ratio, "ratio", ci_prob),
        {
            "quantity": "P(rate_ratio > 1)",
            "median": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "mean": float((d > 0).mean()),
            "scale": "probability",
            "note": "",
        },
        interval_row(
            "rate_ratio_new_trial", np.exp(np.asarray(post["delta_new"]).ravel()), "ratio", ci_prob
        ),
        interval_row("tau", np.asarray(post["tau"]).ravel(), "log rate ratio", ci_prob),
        {
            "quantity": "rate_control",
            "median": rate * per,
            "lower": np.nan,
            "upper": np.nan,
            "mean": rate * per,
            "scale": unit,
            "note": baseline,
        },
        interval_row("rate_treatment", rate * ratio * per, unit, ci_prob, baseline),
        interval_row("rate_difference", rate * (ratio - 1.0) * per, unit, ci_prob, baseline),
    ]
    return pd.DataFrame(rows)


def describe_exposure(arms: pd.DataFrame) -> dict[str, Any]:
    """Whether any exposure of the included arms is approximated, and the reason in words."""
    approximated = bool(arms["exposure_approximated"].any())
    reason = "; ".join(
        f"{t} {r}: {b}"
        for t, r, b in zip(arms["trial"], arms["role"], arms["exposure_basis"], strict=True)
    )
    if approximated:
        reason = (
            "person-time approximated as participants randomised x follow-up, as if everyone "
            "were followed for the whole period (indirect: participants who left early "
            "contributed less time) - " + reason
        )
    return {"exposure_approximated": approximated, "exposure_reason": reason}
