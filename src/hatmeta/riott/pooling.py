"""Propagate RIOTT's missing-test scenarios into the pooled illicit-heroin analysis.

The pooled analysis is fitted once by MCMC *without* RIOTT (its slot masked, so its trial
effect ``delta`` is drawn from the predictive distribution of a new trial given the others).
Each scenario's RIOTT evidence then enters by importance weighting of those draws with the
scenario's likelihood for RIOTT's log odds ratio, ``Normal(log_or_centre, log_or_spread)`` (a
normal approximation to the scenario posterior of :mod:`hatmeta.missing`, centred at its median
with the spread of its interquartile range, because the log OR has long tails when an arm's
responder probability nears 1). This is Bayes' rule applied
to the base posterior: no refit per scenario, so a 10 x 10 grid costs milliseconds, and the
scenario's uncertainty is carried into the pooled result rather than a point imputation.

Reliability of each reweighting is checked with Pareto-smoothed importance sampling: the Pareto
k-hat of the weights (<= 0.7 is reliable; Vehtari et al. 2024) and the effective sample size of
the weighted draws. Grid cells that fail are flagged, not silently used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

KHAT_MAX = 0.7


@dataclass(frozen=True)
class BaseDraws:
    """Pooled log OR ``d`` and RIOTT's trial effect ``delta`` from the RIOTT-free fit."""

    d: np.ndarray
    delta_riott: np.ndarray
    higher_is_better: bool

    @classmethod
    def from_tree(cls, tree, trial: str, higher_is_better: bool) -> BaseDraws:
        posterior = tree["posterior"]
        return cls(
            d=np.asarray(posterior["d"]).ravel(),
            delta_riott=np.asarray(posterior["delta"].sel(trial=trial)).ravel(),
            higher_is_better=higher_is_better,
        )


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs: Sequence[float]):
    """Quantiles of a weighted sample (weights need not be normalised)."""
    order = np.argsort(values)
    w = weights[order] / weights.sum()
    midpoints = np.cumsum(w) - w / 2  # each draw sits at the middle of its probability mass
    return np.interp(probs, midpoints, values[order])


def reweight(base: BaseDraws, log_or_centre: float, log_or_spread: float) -> dict[str, float]:
    """Pooled result once RIOTT's scenario evidence is added to the RIOTT-free posterior."""
    from arviz_stats.base import array_stats

    log_weights = stats.norm.logpdf(log_or_centre, loc=base.delta_riott, scale=log_or_spread)
    # psislw follows the LOO convention: its input is the negative log importance ratio.
    smoothed, khat = array_stats.psislw(-(log_weights - log_weights.max()), r_eff=1, axis=-1)
    weights = np.exp(smoothed - smoothed.max())
    weights /= weights.sum()
    lower, median, upper = weighted_quantiles(base.d, weights, [0.025, 0.5, 0.975])
    benefit = base.d > 0 if base.higher_is_better else base.d < 0
    return {
        "pooled_or_median": float(np.exp(median)),
        "pooled_or_lower": float(np.exp(lower)),
        "pooled_or_upper": float(np.exp(upper)),
        "pooled_p_benefit": float(np.sum(weights * benefit)),
        "pareto_khat": float(khat),
        "importance_ess": float(1.0 / np.sum(weights**2)),
        "reliable": bool(khat <= KHAT_MAX),
    }


def tipping_imor(curve: pd.DataFrame, column: str, threshold: float, below: bool) -> float:
    """The smallest IMOR at which ``column`` crosses ``threshold`` (linear interpolation).

    ``below=True``: the first IMOR where the value falls to or below the threshold (e.g. the
    lower credible limit of the OR reaching 1). NaN if it never crosses within the grid; 0 if
    it is already across at the smallest IMOR.
    """
    curve = curve.sort_values("imor_methadone")
    x = curve["imor_methadone"].to_numpy(dtype=float)
    y = curve[column].to_numpy(dtype=float)
    across = y <= threshold if below else y >= threshold
    if not across.any():
        return float("nan")
    first = int(np.argmax(across))
    if first == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[first - 1], x[first], y[first - 1], y[first]
    return float(x0 + (threshold - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x1)


def tipping_points(grid: pd.DataFrame, benefit_probability: float) -> pd.DataFrame:
    """Per heroin scenario and oral-methadone missing share, the IMOR where each result tips.

    (a) RIOTT's own 95% credible interval for the OR first includes 1 (lower limit <= 1);
    (b) the pooled illicit-heroin effect first loses P(benefit) >= ``benefit_probability``.
    """
    rows = []
    for (heroin, share), curve in grid.groupby(["heroin_scenario", "missing_share_methadone"]):
        rows.append(
            {
                "heroin_scenario": heroin,
                "missing_share_methadone": share,
                "imor_riott_ci_includes_1": tipping_imor(curve, "or_lower", 1.0, below=True),
                "imor_pooled_loses_benefit": tipping_imor(
                    curve, "pooled_p_benefit", benefit_probability, below=True
                ),
                "unreliable_cells": int((~curve["reliable"].astype(bool)).sum()),
            }
        )
    return pd.DataFrame(rows)


def _describe_imor(value: float, grid_max: float) -> str:
    if np.isnan(value):
        return f"at no IMOR up to {grid_max:g}"
    if value == 0:
        return "already when missing tests are counted positive (IMOR 0)"
    return f"once missing tests are negative with odds {value:.2g} times those of provided tests"


def tipping_sentence(
    points: pd.DataFrame,
    anchor_share: Mapping[str, float],
    grid_max: float,
    benefit_probability: float,
) -> str:
    """One plain sentence per heroin scenario, at the anchored oral-methadone missing share."""
    sentences = []
    for heroin, rows in points.groupby("heroin_scenario", sort=False):
        share = anchor_share[heroin]
        nearest = rows.iloc[int(np.argmin(np.abs(rows["missing_share_methadone"] - share)))]
        sentences.append(
            f"With the heroin arm held at '{heroin}' and the oral-methadone arm missing "
            f"{nearest['missing_share_methadone']:.0%} of tests, RIOTT's 95% credible interval "
            f"for the odds ratio includes 1 "
            f"{_describe_imor(nearest['imor_riott_ci_includes_1'], grid_max)}, and the pooled "
            f"illicit-heroin effect loses P(benefit) >= {benefit_probability:g} "
            f"{_describe_imor(nearest['imor_pooled_loses_benefit'], grid_max)}."
        )
    return " ".join(sentences)


def scenario_row(name: str, riott: pd.DataFrame, pooled: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the scenario table from a scenario's RIOTT summary and pooled result."""
    by_quantity = riott.set_index("quantity")
    first = riott.iloc[0]
    return {
        "scenario": name,
        "imor_heroin": first["imor_heroin"],
        "imor_methadone": first["imor_methadone"],
        "missing_share_heroin": first["missing_share_heroin"],
        "missing_share_methadone": first["missing_share_methadone"],
        "anchor_reading": first["anchor_reading"],
        "responders_heroin": by_quantity.at["responders_treatment", "median"],
        "responders_methadone": by_quantity.at["responders_control", "median"],
        "riott_or_median": by_quantity.at["odds_ratio", "median"],
        "riott_or_lower": by_quantity.at["odds_ratio", "lower"],
        "riott_or_upper": by_quantity.at["odds_ratio", "upper"],
        "riott_p_or_above_1": by_quantity.at["p_or_above_1", "median"],
        **pooled,
    }


def _centre_spread(frame: pd.DataFrame) -> tuple[float, float]:
    by_quantity = frame.set_index("quantity")["median"]
    return float(by_quantity["log_or_centre"]), float(by_quantity["log_or_spread"])


def pooled_with_riott(base: BaseDraws, scenario: pd.DataFrame) -> dict[str, float]:
    """The pooled result with RIOTT's evidence from one scenario (a ``scenario_frame``)."""
    return reweight(base, *_centre_spread(scenario))


def load_base(path, trial: str, higher_is_better: bool) -> BaseDraws:
    """The saved RIOTT-free base posterior (``results/sensitivity/base_posterior.nc``)."""
    from hatmeta.io import load_posterior

    return BaseDraws.from_tree(load_posterior(path), trial, higher_is_better)


def run(
    riott: RiottSettings,
    base: BaseDraws,
    scenarios: Mapping[str, pd.DataFrame],
    grids: Mapping[str, pd.DataFrame],
) -> dict[str, Any]:
    """The pooled side of the sensitivity analysis: named scenarios, grid, tipping points."""
    tipping = riott.tipping
    pooled = {name: pooled_with_riott(base, frame) for name, frame in scenarios.items()}
    table_rows = [scenario_row(name, scenarios[name], pooled[name]) for name in scenarios]
    weighted_grids = {}
    for heroin, grid in grids.items():
        cells = [
            reweight(base, row.log_or_centre, row.log_or_spread)
            for row in grid.itertuples(index=False)
        ]
        weighted_grids[heroin] = pd.concat([grid, pd.DataFrame(cells)], axis=1)
    everything = pd.concat(weighted_grids.values(), ignore_index=True)
    points = tipping_points(everything, tipping.benefit_probability)
    anchor = {
        heroin: float(scenarios[heroin]["missing_share_methadone"].iloc[0]) for heroin in grids
    }
    sentence = tipping_sentence(
        points, anchor, max(tipping.imor_methadone), tipping.benefit_probability
    )
    khats = everything["pareto_khat"]
    diagnostics = {
        "importance_sampling": {
            "max_pareto_khat": float(khats.max()),
            "unreliable_cells": int((~everything["reliable"].astype(bool)).sum()),
            "min_importance_ess": float(everything["importance_ess"].min()),
            "khat_max_allowed": KHAT_MAX,
        }
    }
    return {
        "pooled": pooled,
        "scenarios": pd.DataFrame(table_rows),
        "grids": weighted_grids,
        "points": points,
        "sentence": sentence,
        "diagnostics": diagnostics,
    }
