"""Constructed inputs of the certainty tests: trials, settings, fits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hatmeta.certainty.assess import FitInputs


def trials(rows) -> pd.DataFrame:
    """Included trials from ``(trial, events_t, total_t, events_c, total_c[, measure,
    arm_control])`` tuples."""
    out = []
    for row in rows:
        trial, et, nt, ec, nc, *rest = row
        measure = rest[0] if rest else "m1"
        arm = rest[1] if len(rest) > 1 else "CTRL"
        out.append(
            {
                "trial": trial,
                "label": trial,
                "measure": measure,
                "definition": f"definition of {measure}",
                "events_treatment": et,
                "total_treatment": nt,
                "events_control": ec,
                "total_control": nc,
                "arm_control": arm,
            }
        )
    return pd.DataFrame(out)


THREE = trials([("A", 20, 100, 10, 100), ("B", 40, 400, 30, 400), ("C", 5, 50, 4, 50)])


def draws(median: float, sd: float, n: int = 40_000, seed: int = 1) -> np.ndarray:
    """Normal draws of a log odds ratio."""
    return np.random.default_rng(seed).normal(median, sd, n)


def fit_inputs(
    table: pd.DataFrame,
    log_or: np.ndarray,
    *,
    tau: float = 0.1,
    prediction=(0.5, 3.0),
    baseline: float | None = 0.2,
    status: str = "passed",
    i2: float = 0.2,
) -> FitInputs:
    """A fit as the certainty stage reads it."""
    events = int(table[["events_treatment", "events_control"]].sum().sum())
    control = table[["events_control", "total_control"]].sum()
    evidence = {
        "trials": list(table["trial"]),
        "participants": int(table[["total_treatment", "total_control"]].sum().sum()),
        "events": events,
        "control_events": int(control["events_control"]),
        "control_participants": int(control["total_control"]),
        "measures": list(dict.fromkeys(table["measure"])),
        "units": ["participants"],
        "baseline_risk": baseline,
        "baseline_source": "stated" if baseline is not None else "",
        "no_absolute_measures": "" if baseline is not None else "different definitions",
    }
    summary = pd.DataFrame(
        {
            "quantity": ["tau", "OR_predictive"],
            "median": [tau, 1.5],
            "lower": [np.nan, prediction[0]],
            "upper": [np.nan, prediction[1]],
        }
    ).set_index("quantity")
    return FitInputs(
        trials=table,
        summary=summary,
        diagnostics={"status": status, "evidence": evidence},
        log_or_draws=log_or,
        i2=i2,
        follow_up="12 months",
    )
