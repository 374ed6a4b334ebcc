"""Plain sentences of the RIOTT sensitivity analysis, every number taken from its tables.

Cells incompatible with the published counts never enter a sentence: a heroin missing share
whose every cell is incompatible is named as such instead of being given a tipping point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

READING = {
    "percentage_points": "43 percentage points more than the heroin arm",
    "relative": "43% more than the heroin arm (relative)",
}
ASSUMPTION = {
    "missing_share_heroin": "the heroin arm's share of missed tests",
    "anchor_reading": 'the reading of "an extra 43%"',
    "sigma_provide": "the spread of attendance between patients (sigma_provide)",
    "rho": "the correlation of attending with testing negative (rho)",
}


def _imor(value: float, grid_max: float) -> str:
    if np.isnan(value):
        return f"at no IMOR up to {grid_max:g}"
    if value == 0:
        return "already when its missing tests are counted positive (IMOR 0)"
    return f"from an IMOR of about {value:.2g}"


def _range(values: pd.Series, grid_max: float) -> str:
    found = values.dropna()
    if found.empty:
        return f"at no IMOR up to {grid_max:g}"
    low, high = found.min(), found.max()
    span = f"about {low:.2g}" if np.isclose(low, high) else f"about {low:.2g} to {high:.2g}"
    return span if len(found) == len(values) else f"{span}, or at no IMOR up to {grid_max:g}"


def _shares(values) -> str:
    return ", ".join(f"{v:.0%}" for v in values)


def tipping_sentences(points: pd.DataFrame, riott: RiottSettings) -> list[str]:
    """One sentence per heroin-arm scenario and reading: the tipping points at the default
    heroin missing share, their range over the other shares, and the shares left out."""
    threshold = riott.tipping.benefit_probability
    grid_max = max(riott.tipping.imor_methadone)
    sentences = []
    for (anchor, reading), rows in points.groupby(
        ["heroin_scenario", "anchor_reading"], sort=False
    ):
        held = riott.scenarios[anchor]
        excluded = rows["unusable_cells"] == rows["cells"]
        left_out = ""
        if excluded.any():
            shares, why = rows.loc[excluded, "missing_share_heroin"], rows.loc[excluded, "reason"]
            left_out = (
                f" At a heroin missing share of {_shares(shares)} the model cannot reproduce the "
                f"published counts ({why.iloc[0]}), so no tipping point is stated there."
            )
        at_default = np.isclose(rows["missing_share_heroin"], riott.missing_share_heroin)
        head = (
            f"Heroin arm at '{anchor}' (IMOR {held.imor_heroin:g}), oral-methadone arm missing "
            f"{READING.get(reading, reading)}"
        )
        if not (at_default & ~excluded).any():
            sentences.append(
                f"{head}: no compatible cells at the default heroin missing share." + left_out
            )
            continue
        at = rows[at_default].iloc[0]
        usable = rows[~excluded]
        sentences.append(
            f"{head} ({at['missing_share_heroin']:.0%} and {at['missing_share_methadone']:.0%} of "
            f"tests missed): RIOTT's 95% credible interval for its odds ratio includes 1 "
            f"{_imor(at['imor_riott_ci_includes_1'], grid_max)}, and the pooled effect loses "
            f"P(benefit) >= {threshold:g} {_imor(at['imor_pooled_loses_benefit'], grid_max)} "
            f"(heroin missing shares {_shares(usable['missing_share_heroin'])}: "
            f"{_range(usable['imor_pooled_loses_benefit'], grid_max)})." + left_out
        )
    return sentences


def _names(rows: pd.DataFrame) -> str:
    return " and ".join(ASSUMPTION.get(a, a) for a in rows["assumption"])


def depends_sentence(depends: pd.DataFrame, riott: RiottSettings) -> str:
    """Which structural assumptions move RIOTT's result and the pooled conclusion, and which
    do not."""
    threshold = riott.tipping.benefit_probability
    at = riott.scenarios[riott.ranges.scenario]
    riott_moves = depends[depends["riott_direction_changes"]]
    pooled_moves = depends[depends["pooled_conclusion_changes"]]
    steady = depends[~depends["riott_direction_changes"] & ~depends["pooled_conclusion_changes"]]
    parts = [
        f"At '{riott.ranges.scenario}' (IMOR {at.imor_heroin:g} heroin, {at.imor_methadone:g} "
        "oral methadone), with each assumption varied over its range and the others at their "
        "defaults:"
    ]
    if len(riott_moves):
        parts.append(f"RIOTT's odds ratio changes side of 1 with {_names(riott_moves)};")
    else:
        parts.append("RIOTT's odds ratio stays on one side of 1 throughout;")
    if len(pooled_moves):
        parts.append(
            f"whether the pooled P(benefit) reaches {threshold:g} depends on {_names(pooled_moves)}"
        )
    else:
        p_min = depends["pooled_p_benefit_min"].min()
        p_max = depends["pooled_p_benefit_max"].max()
        side = "above" if p_min >= threshold else "below"
        parts.append(
            f"the pooled P(benefit) stays {side} {threshold:g} throughout "
            f"({p_min:.2f} to {p_max:.2f})"
        )
    if len(steady):
        parts.append(f"; {_names(steady)} move neither")
    return " ".join(parts).replace(" ;", ";") + "."
