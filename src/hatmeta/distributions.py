"""Tail probabilities and quantiles of the normal, Student t and chi-squared distributions.

Each is the ``scipy.special`` function that the named ``scipy.stats`` method calls (so the
numbers are the same, bit for bit; ``tests/test_distributions.py`` checks it): importing
``scipy.stats`` costs about a second per job, ``scipy.special`` a fifth of that, and the small
jobs (classical, certainty) need nothing else of it. A quantile gets ``+ 0.0`` as scipy.stats
adds its ``loc``: a median of -0.0 is written 0.0.
"""

from __future__ import annotations

from scipy import special


def normal_isf(q):
    """``scipy.stats.norm.isf(q)``: the standard normal quantile with upper tail ``q``."""
    return -special.ndtri(q) + 0.0


def normal_ppf(q):
    """``scipy.stats.norm.ppf(q)``: the standard normal quantile with lower tail ``q``."""
    return special.ndtri(q) + 0.0


def t_isf(q, df):
    """``scipy.stats.t.isf(q, df)``: the Student t quantile with upper tail ``q``, for
    ``0 < q < 1`` (at 0 and 1 scipy.stats gives the ends of the support itself)."""
    return -special.stdtrit(df, q) + 0.0


def t_sf(x, df):
    """``scipy.stats.t.sf(x, df)``: the Student t upper tail probability at ``x``."""
    return special.stdtr(df, -x)


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``: the chi-squared upper tail probability at ``x``."""
    return special.chdtrc(df, x)
