"""RIOTT's scenarios carried into the pooled analysis: mixtures over imputations, tipping points,
and what the conclusion depends on.

A scenario's imputations give each feasible pair of RIOTT's responder counts a share of the
draws; the pooled posterior under the scenario is the mixture, with those shares, of the pooled
posteriors under each pair (:class:`hatmeta.riott.bank.Bank`, computed by quadrature): Bayesian
multiple imputation with RIOTT's exact binomial likelihood. RIOTT's own odds ratio is the same
mixture of its own posteriors. Neither ever passes through a normal summary of a log odds ratio.

Cells whose assumptions are impossible or incompatible with the published counts
(:mod:`hatmeta.riott.scenarios`) keep their numbers in the tables, marked, but are left out of
every tipping point and every sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from hatmeta.riott.bank import Bank
    from hatmeta.riott.settings import RiottSettings

PROBS = (0.025, 0.5, 0.975)


def quantiles(cdf: np.ndarray, x: np.ndarray, probs: Sequence[float] = PROBS) -> np.ndarray:
    """Quantiles of a distribution given by its CDF at ``x`` (linear between grid points)."""
    out = []
    for p in probs:
        j = int(np.searchsorted(cdf, p, side="left"))
        if j == 0:
            out.append(x[0])
        elif j >= len(x):
            out.append(x[-1])
        else:
            c0, c1 = cdf[j - 1], cdf[j]
            out.append(x[j - 1] + (p - c0) * (x[j] - x[j - 1]) / (c1 - c0) if c1 > c0 else x[j])
    return np.asarray(out)


def mixture(bank: Bank, imputations: pd.DataFrame, higher_is_better: bool) -> dict[str, Any]:
    """The pooled and RIOTT-alone results of one scenario from its imputed pairs' draws."""
    index = bank.index()
    pairs = [(int(t), int(c)) for t, c in imputations[["r_heroin", "r_methadone"]].values]
    outside = [pair for pair in pairs if pair not in index]
    if outside:
        raise ValueError(
            f"imputed RIOTT responder pairs {outside[:3]} are not in the bank (pairs from "
            f"{tuple(bank.pairs[0])} to {tuple(bank.pairs[-1])}): the scenarios and the base "
            "fit read different published counts"
        )
    rows = [index[pair] for pair in pairs]
    share = np.zeros(len(bank.pairs))
    np.add.at(share, rows, imputations["draws"].to_numpy(dtype=float))
    share /= share.sum()
    pooled = share @ bank.cdf.astype(float)
    riott = share @ bank.riott_cdf.astype(float)
    d = quantiles(pooled, bank.x)
    delta = quantiles(riott, bank.deltas)
    at_zero = float(np.interp(0.0, bank.x, pooled))
    riott_at_zero = float(np.interp(0.0, bank.deltas, riott))
    return {
        "riott_or_median": float(np.exp(delta[1])),
        "riott_or_lower": float(np.exp(delta[0])),
        "riott_or_upper": float(np.exp(delta[2])),
        "riott_p_or_above_1": 1.0 - riott_at_zero,
        "pooled_or_median": float(np.exp(d[1])),
        "pooled_or_lower": float(np.exp(d[0])),
        "pooled_or_upper": float(np.exp(d[2])),
        "pooled_p_benefit": 1.0 - at_zero if higher_is_better else at_zero,
        "imputed_pairs": int((share > 0).sum()),
    }


def pooled(
    results: pd.DataFrame, imputations: pd.DataFrame, bank: Bank, higher_is_better: bool
) -> pd.DataFrame:
    """``results`` (one row per scenario or cell) with each one's mixture results."""
    by_scenario = dict(tuple(imputations.groupby("scenario", sort=False)))
    rows = []
    for name in results["scenario"]:
        parts = by_scenario.get(name)
        rows.append({} if parts is None else mixture(bank, parts, higher_is_better))
    return pd.concat([results.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def carry_cells(
    cells: pd.DataFrame,
    imputations: pd.DataFrame,
    bank: Bank,
    riott: RiottSettings,
    higher_is_better: bool,
) -> dict[str, pd.DataFrame]:
    """Every cell's mixture results, the tipping points, the structural table and what the
    conclusion depends on."""
    threshold = riott.tipping.benefit_probability
    cells = pooled(cells, imputations, bank, higher_is_better)
    structural = cells[cells["family"] == "structural"].reset_index(drop=True)
    return {
        "cells": cells,
        "points": tipping_points(cells[cells["family"] == "tipping"], threshold),
        "structural": structural,
        "depends": depends_on(structural, riott, threshold),
    }


def tipping_imor(curve: pd.DataFrame, column: str, threshold: float, below: bool) -> float:
    """The smallest IMOR at which ``column`` crosses ``threshold`` (linear interpolation) among
    the usable cells of ``curve``. NaN if it never crosses; the first IMOR if already across."""
    curve = curve[curve["usable"].astype(bool)].sort_values("imor_methadone")
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


def tipping_points(cells: pd.DataFrame, benefit_probability: float) -> pd.DataFrame:
    """Per heroin-arm scenario, reading and heroin missing share: where RIOTT's 95% interval
    first includes 1 and where the pooled effect first loses P(benefit) >= the threshold,
    along the oral-methadone IMOR (usable cells only)."""
    rows = []
    keys = ["anchor", "anchor_reading", "missing_share_heroin"]
    for (anchor, reading, share), curve in cells.groupby(keys, sort=False):
        usable = curve["usable"].astype(bool)
        rows.append(
            {
                "heroin_scenario": anchor,
                "anchor_reading": reading,
                "missing_share_heroin": share,
                "missing_share_methadone": curve["missing_share_methadone"].iloc[0],
                "imor_riott_ci_includes_1": tipping_imor(curve, "riott_or_lower", 1.0, True),
                "imor_pooled_loses_benefit": tipping_imor(
                    curve, "pooled_p_benefit", benefit_probability, True
                ),
                "cells": len(curve),
                "unusable_cells": int((~usable).sum()),
                "reason": "; ".join(dict.fromkeys(curve.loc[~usable, "reason"])),
            }
        )
    return pd.DataFrame(rows)


def depends_on(
    structural: pd.DataFrame, riott: RiottSettings, benefit_probability: float
) -> pd.DataFrame:
    """For each structural assumption, the range of results as it varies over its values with
    the others at their defaults (usable cells only): whether RIOTT's odds ratio changes side of
    1, and whether the pooled P(benefit) crosses ``benefit_probability``."""
    defaults = {
        "missing_share_heroin": riott.missing_share_heroin,
        "anchor_reading": riott.anchor_reading,
        "sigma_provide": riott.sigma_provide,
        "rho": riott.rho,
    }
    rows = []
    for name, values in riott.ranges._asdict().items():
        if name == "scenario":
            continue
        others = np.ones(len(structural), dtype=bool)
        for other, default in defaults.items():
            if other != name:
                others &= structural[other].to_numpy() == default
        part = structural[others & structural["usable"].astype(bool)]
        rows.append(_range_row(name, values, part, len(structural[others]), benefit_probability))
    return pd.DataFrame(rows)


def _range_row(name, values, part: pd.DataFrame, cells: int, threshold: float) -> dict:
    p, ratio = part["pooled_p_benefit"], part["riott_or_median"]
    return {
        "assumption": name,
        "values": ", ".join(map(str, values)),
        "usable_cells": len(part),
        "unusable_cells": cells - len(part),
        "riott_or_median_min": ratio.min(),
        "riott_or_median_max": ratio.max(),
        "riott_direction_changes": bool(len(ratio) and ratio.min() < 1 < ratio.max()),
        "pooled_p_benefit_min": p.min(),
        "pooled_p_benefit_max": p.max(),
        "pooled_conclusion_changes": bool(len(p) and p.min() < threshold <= p.max()),
    }
