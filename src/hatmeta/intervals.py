"""Posterior intervals from draws: one definition for every stage (ArviZ's equal-tailed)."""

from __future__ import annotations

import numpy as np

CI_PROB = 0.95


def interval(values, ci_prob: float = CI_PROB) -> tuple[float, float, float]:
    """``(lower, median, upper)``: the median and the equal-tailed ``ci_prob`` interval."""
    from arviz_stats.base import array_stats  # imported on use: it costs a second at start-up

    flat = np.asarray(values, dtype=float).ravel()
    lower, upper = array_stats.eti(flat, prob=ci_prob)
    return float(lower), float(np.quantile(flat, 0.5)), float(upper)
