"""How numbers are written for a reader wherever a stage writes words, not only in the report:
the mark of a missing number and p-values.

The report's formatting (:mod:`hatmeta.report.format`) builds on this module; the stages that
write sentences themselves (the certainty footnotes, the RIOTT scenarios' reasons) import it
without importing the report.
"""

from __future__ import annotations

import math
from typing import Any

DASH = "\u2013"  # shown for a missing number

#: P-values below this are shown as "< 0.001": their digits carry nothing a reader can use.
P_FLOOR = 1e-3


def fmt_p(value: Any) -> str:
    """A p-value with three decimals, never in exponent form; below :data:`P_FLOOR` as
    "< 0.001" (:data:`DASH` if absent).

    Every p-value the report shows (heterogeneity, conflict, funnel asymmetry, posterior
    predictive checks) goes through this function, or through :func:`p_text` in a sentence.

    Parameters
    ----------
    value
        The p-value (a number in [0, 1]), or None or NaN.

    Returns
    -------
    str
        E.g. ``"0.420"``, ``"0.001"``, ``"< 0.001"``.
    """
    if value is None or math.isnan(float(value)):
        return DASH
    value = float(value)
    return f"< {P_FLOOR:g}" if value < P_FLOOR else f"{value:.3f}"


def p_text(value: Any) -> str:
    """A p-value in a sentence: ``"p = 0.042"``, or ``"p < 0.001"`` (:func:`fmt_p`)."""
    shown = fmt_p(value)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"
