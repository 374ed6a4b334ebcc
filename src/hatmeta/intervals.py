"""Posterior intervals from draws: one definition for every stage (ArviZ's equal-tailed)."""

from __future__ import annotations

import numpy as np

CI_PROB = 0.95


def interval(values, ci_prob: float = CI_PROB) -> tuple[float, float, float]:
    """``(lower, median, upper)``: the median and the equal-tailed ``ci_prob`` interval.

    The interval is ArviZ's ``eti`` (``arviz_stats``: NumPy's linear quantiles at
    ``(1 - ci_prob) / 2`` and one minus that), computed here with NumPy alone: importing
    ``arviz_stats`` costs seconds in jobs that need nothing else of it (the RIOTT cells). A test
    checks that both give the same numbers, bit for bit.
    """
    flat = np.asarray(values, dtype=float).ravel()
    edge = (1 - ci_prob) / 2
    lower, upper = np.quantile(flat, [edge, 1 - edge], method="linear")
    return float(lower), float(np.quantile(flat, 0.5)), float(upper)
