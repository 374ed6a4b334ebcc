"""The RIOTT section of the report, built from the files the report rule declares.

The report renders optional stages generically (:mod:`hatmeta.report.render`): a section is a
title, an optional call-out, tables, figures and its own methods. This module fills one for the
RIOTT missing-test sensitivity analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.report.format import fmt_number, table
from hatmeta.report.images import png_data_uri
from hatmeta.report.methods import docstring_blocks
from hatmeta.riott import testlevel

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

HEADERS = {
    "scenario": "Scenario",
    "heroin_scenario": "Heroin arm held at",
    "imor_heroin": "IMOR heroin",
    "imor_methadone": "IMOR methadone",
    "missing_share_heroin": "missing share heroin",
    "missing_share_methadone": "missing share methadone",
    "anchor_reading": "anchor reading",
    "responders_heroin": "responders heroin",
    "responders_methadone": "responders methadone",
    "riott_or_median": "RIOTT OR",
    "riott_or_lower": "lower",
    "riott_or_upper": "upper",
    "riott_p_or_above_1": "P(RIOTT OR>1)",
    "pooled_or_median": "pooled OR",
    "pooled_or_lower": "lower",
    "pooled_or_upper": "upper",
    "pooled_p_benefit": "pooled P(benefit)",
    "pareto_khat": "Pareto k",
    "importance_ess": "IS ESS",
    "reliable": "reliable",
    "imor_riott_ci_includes_1": "IMOR at which RIOTT's CrI includes 1",
    "imor_pooled_loses_benefit": "IMOR at which the pooled result loses P(benefit)",
    "unreliable_cells": "unreliable cells",
}
WHAT = {"riott": "RIOTT's P(OR > 1)", "pooled": "The pooled illicit-heroin P(benefit)"}


def _methods(riott: RiottSettings) -> dict[str, Any]:
    settings = {
        key: value
        for key, value in riott._asdict().items()
        if not isinstance(value, dict | tuple) and value is not None
    }
    scenarios = [
        {
            "name": name,
            "settings": "; ".join(
                f"{key} = {fmt_number(value)}"
                for key, value in scenario._asdict().items()
                if key != "name" and value is not None
            ),
        }
        for name, scenario in riott.scenarios.items()
    ]
    return {
        "title": "RIOTT missing-test model",
        "blocks": docstring_blocks(testlevel.__doc__),
        "settings_caption": "Settings (config section riott)",
        "settings": settings,
        "table": {
            "caption": "Named scenarios (settings not given fall back to the settings above)",
            "header": ["Scenario", "Settings"],
            "rows": [[s["name"], s["settings"]] for s in scenarios],
        },
    }


def section(
    riott: RiottSettings,
    scenarios: str,
    tipping_points: str,
    sentence: str,
    heatmaps: Mapping[tuple[str, str], str],
    curve: str,
) -> dict[str, Any]:
    """The report section: the tipping sentence, scenario and tipping tables, figures, methods.

    ``heatmaps`` maps ``(result, heroin scenario)`` (result ``riott`` or ``pooled``) to a PNG.
    """
    with open(sentence, encoding="utf-8") as handle:
        callout = handle.read().strip()
    figures = [
        {
            "name": "RIOTT's odds ratio (median and 95% CrI) along the oral-methadone IMOR.",
            "uri": png_data_uri(curve),
            "wide": True,
        }
    ] + [
        {
            "name": f"{WHAT[result]} over the oral-methadone missing share and IMOR, heroin arm "
            f"held at scenario '{heroin}'.",
            "uri": png_data_uri(path),
            "wide": False,
        }
        for (result, heroin), path in sorted(heatmaps.items())
    ]
    return {
        "id": "riott",
        "title": "RIOTT missing-test sensitivity",
        "callout": callout,
        "tables": [
            {
                "caption": "Named scenarios: RIOTT's odds ratio and the pooled illicit-heroin "
                "result",
                "compact": True,
                **table(pd.read_csv(scenarios), HEADERS),
            },
            {
                "caption": "Tipping points (\u2013 : no tipping point within the grid)",
                "compact": False,
                **table(pd.read_csv(tipping_points), HEADERS),
            },
        ],
        "figures": figures,
        "methods": _methods(riott),
    }
