"""The few densities and binomial tails the RIOTT jobs need, from :mod:`scipy.special` alone.

Importing :mod:`scipy.stats` costs a RIOTT job more than half a second of its start-up, for
five calls. These functions give the same numbers as the ``scipy.stats`` calls they stand for,
bit for bit (the same special functions in the same order; ``tests/test_riott_densities.py``
compares them), for the arguments used here: finite values within each distribution's support.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.special import _ufuncs

_LOG_SQRT_2PI = np.log(np.sqrt(2 * np.pi))


def normal_logpdf(x, sd: float) -> np.ndarray:
    """``scipy.stats.norm.logpdf(x, 0, sd)``."""
    z = np.asarray(x, dtype=float) / sd
    return -(z**2) / 2.0 - _LOG_SQRT_2PI - np.log(sd)


def half_normal_logpdf(x, scale: float) -> np.ndarray:
    """``scipy.stats.halfnorm.logpdf(x, scale=scale)`` for ``x >= 0``."""
    z = np.asarray(x, dtype=float) / scale
    return 0.5 * np.log(2.0 / np.pi) - z * z / 2.0 - np.log(scale)


def binomial_logpmf(k: int, n: int, p) -> np.ndarray:
    """``scipy.stats.binom.logpmf(k, n, p)`` for ``0 <= k <= n`` and ``p`` in [0, 1]."""
    k, n = float(k), float(n)
    log_comb = special.gammaln(n + 1) - (special.gammaln(k + 1) + special.gammaln(n - k + 1))
    return log_comb + special.xlogy(k, p) + special.xlog1py(n - k, -np.asarray(p))


def binomial_sf(k: int, n: int, p) -> np.ndarray:
    """``scipy.stats.binom.sf(k, n, p)``, ``P(X > k)``, for ``p`` in [0, 1]."""
    p = np.asarray(p, dtype=float)
    if k < 0:
        return np.ones_like(p)
    if k >= n:
        return np.zeros_like(p)
    return np.clip(_ufuncs._binom_sf(float(k), float(n), p), 0, 1)


def binomial_cdf(k: int, n: int, p) -> np.ndarray:
    """``scipy.stats.binom.cdf(k, n, p)``, ``P(X <= k)``, for ``p`` in [0, 1]."""
    p = np.asarray(p, dtype=float)
    if k < 0:
        return np.zeros_like(p)
    if k >= n:
        return np.ones_like(p)
    return np.clip(_ufuncs._binom_cdf(float(k), float(n), p), 0, 1)
