"""Constructed inputs of the certainty tests: trials, settings, fits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hatmeta.certainty.rows import FitInputs


def bare_settings(project_settings, analyses):
    """The project's certainty settings with only ``analyses`` and no configured reasons,
    overrides, extra baselines or labels: each domain's rule alone."""
    return project_settings.certainty._replace(
        analyses=analyses,
        comparator_controls=("OTHER",),
        outcome_indirect={},
        analysis_indirect={},
        overrides={},
        baseline_risks={},
        outcome_labels={},
    )


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


# --- counts of events: the rate stage's files, as it writes them -------------------------


def rate_arms(rows, timepoint: str = "12 months", published: bool = False) -> pd.DataFrame:
    """Arms of a rate analysis from ``(trial, events_t, total_t, events_c, total_c)`` tuples,
    with their exposure as the rate stage computes it (:func:`hatmeta.bayes.rates.exposures`):
    participants x follow-up, or (``published``) person-years given as 0.9 of that."""
    from hatmeta.bayes.rates import exposures

    out = []
    for trial, et, nt, ec, nc in rows:
        for role, events, total in (("treatment", et, nt), ("control", ec, nc)):
            out.append(
                {"trial": trial, "role": role, "events": events, "total": total,
                 "timepoint": timepoint}
            )  # fmt: skip
    arms = pd.DataFrame(out)
    if published:
        arms["person_years"] = 0.9 * arms["total"]
    return exposures(arms)


def rate_fit(
    tmp_path,
    rows,
    log_rr: tuple[float, float] = (1.0, 0.2),
    *,
    tau: float = 0.1,
    new_sd: float = 0.1,
    published: bool = False,
    status: str = "passed",
    per: float = 100.0,
    name: str = "rates",
):
    """The rate stage's two files for constructed trials and normal draws of the pooled log
    rate ratio (``d``), tau (near ``tau``) and a new trial's log rate ratio (``d`` plus
    ``Normal(0, new_sd)``), written by the rate stage's own summary; returns the certainty
    stage's reading of them and the binomial stage's 'not modelled' fit of the same trials."""
    import json

    import xarray as xr

    from hatmeta.bayes.rates import RateData, describe_exposure, summarise_rates
    from hatmeta.certainty.events import read_rate_inputs

    arms = rate_arms(rows, published=published)
    data = RateData.from_arms(arms, len(rows))
    rng = np.random.default_rng(7)
    d = rng.normal(*log_rr, 40_000)
    posterior = xr.Dataset(
        {
            "d": (("chain", "draw"), d.reshape(4, -1)),
            "tau": (("chain", "draw"), np.abs(rng.normal(tau, 0.01, d.size)).reshape(4, -1)),
            "delta_new": (("chain", "draw"), (d + rng.normal(0, new_sd, d.size)).reshape(4, -1)),
        }
    )
    summary = summarise_rates(xr.DataTree.from_dict({"posterior": posterior}),
                              data.control_rate(), per)  # fmt: skip
    exposure = describe_exposure(arms)
    table = trials(rows)
    events = int(arms["events"].sum())
    control = arms[arms["role"] == "control"]
    evidence = {
        "trials": list(table["trial"]),
        "participants": int(arms["total"].sum()),
        "events": events,
        "control_events": int(control["events"].sum()),
        "control_participants": int(control["total"].sum()),
        "measures": ["m1"],
        "units": ["events"],
    }
    diagnostics = {
        "status": status,
        "evidence": evidence,
        "person_years": arms[["trial", "role", "events", "person_years"]].to_dict("records"),
        **exposure,
    }
    rates_path, diagnostics_path = tmp_path / f"{name}.csv", tmp_path / f"{name}.json"
    summary.to_csv(rates_path, index=False)
    diagnostics_path.write_text(json.dumps(diagnostics))
    not_modelled = FitInputs(
        trials=table,
        summary=None,
        diagnostics={"status": "not modelled", "note": "counts of events", "evidence": evidence},
        log_or_draws=None,
        i2=float("nan"),
        follow_up="12 months",
    )
    return read_rate_inputs(str(rates_path), str(diagnostics_path)), not_modelled
