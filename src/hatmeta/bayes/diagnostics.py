"""Convergence diagnostics of a fit and the gate every fit must pass.

ArviZ (``arviz_stats``) computes rank-normalised split R-hat, bulk and tail ESS and the MCSE of
the mean of every reported quantity; :func:`check_diagnostics` compares them with the config's
thresholds (:class:`hatmeta.config.Gate`) and says, in words, what failed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from arviz_stats.base import array_stats
from arviz_stats.validate import validate_ci_prob

from hatmeta.bayes.summaries import reported_draws

if TYPE_CHECKING:
    from hatmeta.config import Gate

#: Every quantity the report shows; each must meet the thresholds.
DIAGNOSTIC_VARS = ("d", "tau", "delta", "delta_new", "mu")


def compute_diagnostics(
    tree: xr.DataTree,
    var_names: Sequence[str] = DIAGNOSTIC_VARS,
    draws: xr.Dataset | None = None,
) -> dict[str, Any]:
    """Convergence diagnostics of every reported quantity.

    Vector quantities (``delta``, ``mu``) are reduced to their worst element over the included
    trials. ``draws`` are the reported quantities' draws when they are not the pairwise model's
    (:func:`hatmeta.bayes.summaries.reported_draws`), e.g. a network's; the sampler statistics
    come from ``tree`` either way.

    Returns
    -------
    dict
        ``chains``, ``draws``, ``divergences`` and ``variables`` (per quantity: ``r_hat``
        max, ``ess_bulk`` min, ``ess_tail`` min, ``mcse_mean`` max), plus the overall
        ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``.
    """
    draws = (reported_draws(tree) if draws is None else draws)[list(var_names)]
    # Every element of every quantity as one (chain, draw, element) array, so that each
    # diagnostic is one call of ArviZ's array function instead of one xarray apply_ufunc per
    # variable: the same computation element by element (the same numbers, bit for bit), without
    # xarray's per-variable overhead. The tail ESS at ArviZ's default interval probability, as
    # ``azs.ess(draws, method="tail")`` computes it.
    columns = [
        draws[name]
        .transpose("chain", "draw", ...)
        .values.reshape(draws.sizes["chain"], draws.sizes["draw"], -1)
        for name in var_names
    ]
    stacked = np.concatenate(columns, axis=2)
    axes = {"chain_axis": 0, "draw_axis": 1}
    results = {
        "r_hat": (array_stats.rhat(stacked, **axes), max),
        "ess_bulk": (array_stats.ess(stacked, method="bulk", **axes), min),
        "ess_tail": (
            array_stats.ess(stacked, method="tail", prob=validate_ci_prob(None), **axes),
            min,
        ),
        "mcse_mean": (array_stats.mcse(stacked, method="mean", **axes), max),
    }
    bounds = np.cumsum([0, *(c.shape[2] for c in columns)])
    variables = {
        name: {
            key: _worst(values[bounds[i] : bounds[i + 1]], pick)
            for key, (values, pick) in results.items()
        }
        for i, name in enumerate(var_names)
    }
    stats = tree["sample_stats"]
    return {
        "chains": int(draws.sizes["chain"]),
        "draws": int(draws.sizes["draw"]),
        "divergences": int(stats["diverging"].sum()) if "diverging" in stats else 0,
        "variables": variables,
        "max_r_hat": _worst_over(variables, "r_hat", max),
        "min_ess_bulk": _worst_over(variables, "ess_bulk", min),
        "min_ess_tail": _worst_over(variables, "ess_tail", min),
    }


def _worst(values: np.ndarray, pick) -> float:
    flat = np.asarray(values, dtype=float).ravel()
    # NaN (e.g. R-hat with one chain) must surface as a failure, not vanish in min/max.
    if np.isnan(flat).any():
        return math.nan
    return float(pick(flat))


def _worst_over(variables: Mapping[str, Mapping[str, float]], key: str, pick) -> float:
    values = [v[key] for v in variables.values()]
    return math.nan if any(math.isnan(v) for v in values) else float(pick(values))


def check_diagnostics(diag: Mapping[str, Any], gate: Gate) -> list[str]:
    """Failed checks in words, e.g. ``"tau: ess_tail 812 < 1000"`` (empty if all pass)."""
    failures = []
    checks = [
        ("r_hat", gate.r_hat_max, ">", "{:.4f}"),
        ("ess_bulk", gate.ess_bulk_min, "<", "{:.0f}"),
        ("ess_tail", gate.ess_tail_min, "<", "{:.0f}"),
    ]
    for name, values in diag["variables"].items():
        for key, limit, op, fmt in checks:
            value = values[key]
            bad = math.isnan(value) or (value > limit if op == ">" else value < limit)
            if bad:
                failures.append(f"{name}: {key} {fmt.format(value)} {op} {limit:g}")
    if diag["divergences"] > gate.divergences_max:
        failures.append(f"divergences: {diag['divergences']} > {gate.divergences_max}")
    return failures


def thresholds(gate: Gate) -> dict[str, float]:
    """The thresholds a fit was checked against, as recorded in its diagnostics file."""
    return {key: getattr(gate, key) for key in gate._fields if key != "on_failure"}


class ConvergenceError(RuntimeError):
    """A fit failed its convergence checks; the message names the fit, the prior and the check."""

    def __init__(self, fit: str, prior: str, failures: Sequence[str]) -> None:
        self.fit = fit
        self.prior = prior
        self.failures = list(failures)
        super().__init__(
            f"fit {fit!r} with prior {prior!r} failed convergence checks: "
            + "; ".join(self.failures)
        )


def enforce(gate: Gate, failures: Sequence[str], fit: str, prior: str) -> None:
    """Raise :class:`ConvergenceError` for failed checks, unless the gate says flag."""
    if failures and gate.on_failure == "stop":
        raise ConvergenceError(fit, prior, failures)
