"""Classical reproduction: our Mantel-Haenszel / DerSimonian-Laird next to published pools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hatmeta.classical import classical_meta_analysis
from hatmeta.data.tables import included_arms

if TYPE_CHECKING:
    from hatmeta.config import Analysis

COMPARISON_COLUMNS = [
    "source",
    "outcome",
    "statistic",
    "trials",
    "published_estimate",
    "published_lower",
    "published_upper",
    "published_n_studies",
    "published_n_participants",
    "analysis",
    "n_trials",
    "n_participants",
    "mh_rr",
    "dl_rr",
    "dl_rr_lower",
    "dl_rr_upper",
    "dl_i2",
    "explanation",
]


def classical_table(table: pd.DataFrame) -> pd.DataFrame:
    """MH and DL results of one analysis table as one long tidy table (empty if no trials)."""
    arms = included_arms(table)
    if arms.empty:
        return pd.DataFrame(
            columns=["section", "method", "measure", "trial", "estimate", "lower", "upper"]
        )
    result = classical_meta_analysis(arms[["trial", "role", "events", "total"]])
    return pd.concat(
        [
            result.pooled.assign(section="pooled"),
            result.heterogeneity.assign(section="heterogeneity"),
            result.per_trial.assign(section="trial"),
        ],
        ignore_index=True,
    )


def _fmt(value: float) -> str:
    return "NA" if value is None or not np.isfinite(value) else f"{value:.2f}"


def _explain(row: Mapping[str, Any], missing: list[str]) -> str:
    if missing:
        return (
            "Not reproducible: no per-arm counts in the extraction sheet for "
            + ", ".join(missing)
            + "."
        )
    if not row["trials"]:
        return "Not reproducible: the source does not say which trials were pooled."
    parts = []
    same_n = row["published_n_participants"] == row["n_participants"]
    parts.append(
        f"Same {row['n_trials']} trials; "
        + (
            f"same {row['n_participants']} participants"
            if same_n
            else f"{row['n_participants']} participants here vs {row['published_n_participants']} "
            "published"
        )
    )
    published, ours = row["published_estimate"], row["dl_rr"]
    inside = row["published_lower"] <= ours <= row["published_upper"]
    gap = f"DL RR {_fmt(ours)} vs published {_fmt(published)}"
    if abs(np.log(ours / published)) < 0.02:
        parts.append(f"{gap}: reproduced within rounding")
    elif inside:
        parts.append(
            f"{gap}, inside the published interval; the pooling method and some counts of the "
            "source (derived here from percentages, secondary for Spain) are not known exactly"
        )
    else:
        parts.append(f"{gap}, outside the published interval: the inputs differ")
    return "; ".join(parts) + "."


def published_comparison(
    published: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    analyses: Mapping[str, Analysis],
) -> pd.DataFrame:
    """Reproduce each published pooled risk ratio on the same trial set, where counts allow.

    ``tables`` maps analysis names to analysis tables (main evidence set); a published row
    is matched to the first analysis of the same outcome whose included trials cover its list.
    """
    rows = []
    pooled = published[(published["scope"] == "pooled") & (published["statistic"] == "risk ratio")]
    for record in pooled.to_dict("records"):
        listed = [t for t in str(record["trials"] or "").split(";") if t and t != "nan"]
        row = {
            "source": record["source"],
            "outcome": record["outcome"],
            "statistic": record["statistic"],
            "trials": ";".join(listed),
            "published_estimate": record["estimate"],
            "published_lower": record["lower"],
            "published_upper": record["upper"],
            "published_n_studies": record["n_studies"],
            "published_n_participants": record["n_participants"],
        }
        candidates = [
            name for name, spec in analyses.items() if spec.outcome.name == record["outcome"]
        ]
        best, missing = None, listed
        for name in candidates:
            arms = included_arms(tables[name])
            have = set(arms["trial"])
            gaps = [t for t in listed if t not in have]
            if listed and not gaps:
                best, missing = name, []
                break
            if len(gaps) < len(missing):
                missing = gaps
        if not listed:
            missing = []
        if best is not None:
            arms = included_arms(tables[best])
            arms = arms[arms["trial"].isin(listed)]
            result = classical_meta_analysis(arms[["trial", "role", "events", "total"]])
            pooled_rows = result.pooled.set_index(["method", "measure"])
            dl = (
                pooled_rows.loc[("DL random", "RR")]
                if ("DL random", "RR") in pooled_rows.index
                else None
            )
            mh = (
                pooled_rows.loc[("MH fixed", "RR")]
                if ("MH fixed", "RR") in pooled_rows.index
                else None
            )
            row |= {
                "analysis": best,
                "n_trials": int(arms["trial"].nunique()),
                "n_participants": int(arms["total"].sum()),
                "mh_rr": None if mh is None else mh["estimate"],
                "dl_rr": None if dl is None else dl["estimate"],
                "dl_rr_lower": None if dl is None else dl["lower"],
                "dl_rr_upper": None if dl is None else dl["upper"],
                "dl_i2": float(result.heterogeneity["I2"].iloc[0])
                if "I2" in result.heterogeneity
                else None,
            }
        row["explanation"] = _explain(row, missing if best is None else [])
        rows.append(row)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
