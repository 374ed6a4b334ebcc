"""The report's section on the trials: their characteristics and the trial flow.

Built from the files of the ``trial_flow`` rule (:mod:`hatmeta.data.flow`) and rendered by the
generic section template (:mod:`hatmeta.report.render`): the characteristics of every trial,
the trial x analysis matrix (included, or the reason the extract stage gives) and the flow
figure with its counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from hatmeta.report.format import table
from hatmeta.report.images import png_data_uri

CHARACTERISTICS_HEADERS = {
    "trial": "Trial",
    "country": "Country",
    "years": "Years",
    "arms": "Arms (randomised)",
    "randomised": "Randomised",
    "route": "Route",
    "supervision": "Supervision",
    "control": "Control",
    "follow_up": "Follow-up",
    "primary_outcome": "Primary outcome",
    "sources": "Sources",
    "note": "Note",
}
COUNT_HEADERS = {"stage": "Stage", "n_trials": "Trials", "trials": "Which"}


def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)


def section(paths: Mapping[str, str], main_evidence: str = "") -> dict[str, Any]:
    """The section, from the paths ``characteristics``, ``matrix``, ``counts``, ``figure``."""
    characteristics = _read(paths["characteristics"])
    matrix = _read(paths["matrix"]).fillna("")
    counts = _read(paths["counts"])
    evidence = f" (evidence set {main_evidence})" if main_evidence else ""
    return {
        "id": "studies",
        "title": "Trials: characteristics and flow",
        "callout": [
            f"{len(characteristics)} trials are known; "
            + "; ".join(f"{r.stage}: {r.n_trials}" for r in counts.iloc[1:].itertuples())
            + f"{evidence}."
        ],
        "tables": [
            {
                "caption": "Characteristics of the trials (arms with the numbers randomised, "
                "from the extraction sheet; sources are bibliography keys)",
                "compact": False,
                **table(characteristics, CHARACTERISTICS_HEADERS),
            },
            {
                "caption": f"Trial x analysis{evidence}: included, or why the analysis leaves "
                "the trial out",
                "compact": True,
                **table(matrix, {"trial": "Trial"}),
            },
            {
                "caption": "Trial flow: trials known, with usable counts (events and totals in "
                "the treatment arm and a control arm for some measure) and in each primary "
                "analysis (the first listed for its outcome)",
                "compact": False,
                **table(counts[list(COUNT_HEADERS)], COUNT_HEADERS),
            },
        ],
        "notes": [],
        "figures": [
            {"name": "Trial flow", "uri": png_data_uri(paths["figure"]), "wide": True},
        ],
        "methods": None,
    }
