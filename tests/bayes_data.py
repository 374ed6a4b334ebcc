"""Small trial sets for the model tests: (trial, events_t, total_t, events_c, total_c)."""

from __future__ import annotations

import pandas as pd

from hatmeta.bayes.fitdata import FitData
from hatmeta.config import Gate, Sampler
from hatmeta.priors import HeterogeneityPrior, half_normal, log_normal_tau2

N_SLOTS = 5
SAMPLER = Sampler(
    draws=2000,
    max_draws=16000,
    tune=400,
    chains=4,
    target_accept=(0.9, 0.95, 0.99),
    adaptation="diag",
    seed=11,
)
GATE = Gate(
    r_hat_max=1.01, ess_bulk_min=1000, ess_tail_min=1000, divergences_max=0, on_failure="stop"
)
RETENTION = [
    ("DE2007", 346, 515, 200, 500),
    ("CA2009", 101, 115, 60, 111),
    ("EN2010", 38, 43, 29, 42),
    ("ES2006", 23, 31, 21, 31),
]
ILLICIT = [
    ("CH1998", 21, 27, 8, 24),
    ("DE2007", 356, 515, 276, 500),
    ("CA2009", 77, 115, 53, 111),
    ("EN2010", 31, 43, 11, 42),
]
MORTALITY = [("CA2009", 0, 115, 1, 111)]
# A trial in flat contradiction with the others: if masking leaked, d would move a lot.
OUTLIER = ("XX", 2, 100, 98, 100)
HN05: HeterogeneityPrior = half_normal(0.5, "hn05")
TURNER: HeterogeneityPrior = log_normal_tau2(-2.56, 1.74, "turner")


def arms_table(rows: list[tuple[str, int, int, int, int]]) -> pd.DataFrame:
    """Tidy arm table from (trial, events_t, total_t, events_c, total_c) tuples."""
    records = []
    for trial, y_t, n_t, y_c, n_c in rows:
        records.append({"trial": trial, "role": "treatment", "events": y_t, "total": n_t})
        records.append({"trial": trial, "role": "control", "events": y_c, "total": n_c})
    return pd.DataFrame(records)


def fit_data(rows: list[tuple[str, int, int, int, int]], n_slots: int = N_SLOTS) -> FitData:
    return FitData.from_arms(arms_table(rows), n_slots)
