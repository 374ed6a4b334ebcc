"""The patient-level IMOR model (White, Higgins & Wood 2008; metamiss) as a RIOTT cross-check.

The patients who left treatment before week 26 (published retention counts) are the patients
with a missing outcome. It cannot see the missed tests of patients who stayed, which is exactly
where RIOTT's arms differ: the test-level model (:mod:`hatmeta.riott.testlevel`) is the main
analysis, this one the field's standard beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special

ROLES = ("treatment", "control")


def patient_level_imor(responders: int, retained: int, total: int, imor: float) -> dict:
    """One arm under the patient-level IMOR model (White, Higgins & Wood 2008; metamiss).

    Retained patients have an observed outcome (``responders`` of ``retained``); the
    ``total - retained`` who left are missing, and their odds of response are ``imor`` times the
    observed odds. Returns the arm's response probability and its variance by the delta method
    with the IMOR fixed (Higgins, White & Wood 2008, Clin Trials 5:225-239).
    """
    observed = responders / retained
    missing_fraction = (total - retained) / total
    if np.isinf(imor):
        p_missing, slope = 1.0, 0.0
    else:
        p_missing = imor * observed / (1 - observed + imor * observed)
        slope = imor / (1 - observed + imor * observed) ** 2
    p = (1 - missing_fraction) * observed + missing_fraction * p_missing
    derivative = (1 - missing_fraction) + missing_fraction * slope
    variance = derivative**2 * observed * (1 - observed) / retained
    return {"p": p, "variance": variance}


def patient_level_table(published: Mapping, retained: Mapping, imors) -> pd.DataFrame:
    """Patient-level IMOR cross-check: RIOTT's OR when leavers respond with odds IMOR x stayers.

    The same IMOR applies to both arms; ``published`` and ``retained`` map roles to
    ``{"events", "total"}`` (responders; retained at 26 weeks).
    """
    rows = []
    for imor in imors:
        arms = {
            role: patient_level_imor(
                published[role]["events"], retained[role]["events"], published[role]["total"], imor
            )
            for role in ROLES
        }
        log_or = special.logit(arms["treatment"]["p"]) - special.logit(arms["control"]["p"])
        se = np.sqrt(sum(a["variance"] / (a["p"] * (1 - a["p"])) ** 2 for a in arms.values()))
        rows.append(
            {
                "imor": imor,
                "p_heroin": arms["treatment"]["p"],
                "p_methadone": arms["control"]["p"],
                "or": float(np.exp(log_or)),
                "or_lower": float(np.exp(log_or - 1.96 * se)),
                "or_upper": float(np.exp(log_or + 1.96 * se)),
            }
        )
    return pd.DataFrame(rows)
