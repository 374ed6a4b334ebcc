"""The RIOTT section of the report, built from the files the report rule declares.

The report renders optional stages generically (:mod:`hatmeta.report.render`): a section is a
title, a call-out, tables, notes, figures and its own methods. This module fills one for the
RIOTT missing-test sensitivity analysis.

Near a boundary (an arm's responder probability close to 0 or 1) an odds ratio and its interval
say little: the tables give responder counts and risk differences beside every odds ratio, show
odds ratios beyond 0.001 and 1000 as "<0.001" and ">1000" (:func:`hatmeta.report.format.
fmt_ratio`), and a note names the scenarios where that happens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.docstrings import docstring_blocks
from hatmeta.report.format import (
    DASH,
    RATIO_CEILING,
    RATIO_FLOOR,
    fmt_interval,
    fmt_number,
    fmt_prob,
    fmt_ratio,
    fmt_rd,
    missing,
    table,
)
from hatmeta.report.images import png_data_uri
from hatmeta.report.vega import view
from hatmeta.riott import explorer, testlevel

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

WHAT = {"riott": "RIOTT's P(OR > 1)", "pooled": "The pooled illicit-heroin P(benefit)"}
TIPPING_HEADERS = {
    "heroin_scenario": "Heroin arm at",
    "anchor_reading": "reading",
    "missing_share_heroin": "missing share heroin",
    "missing_share_methadone": "missing share methadone",
    "imor_riott_ci_includes_1": "IMOR at which RIOTT's CrI includes 1",
    "imor_pooled_loses_benefit": "IMOR at which the pooled result loses P(benefit)",
    "cells": "cells",
    "unusable_cells": "incompatible cells",
    "reason": "why",
}
DEPENDS_HEADERS = {
    "assumption": "Assumption",
    "values": "values",
    "usable_cells": "compatible",
    "unusable_cells": "incompatible",
    "riott_or_median_min": "RIOTT OR from",
    "riott_or_median_max": "to",
    "riott_direction_changes": "RIOTT OR changes side of 1",
    "pooled_p_benefit_min": "pooled P(benefit) from",
    "pooled_p_benefit_max": "to",
    "pooled_conclusion_changes": "pooled conclusion changes",
}


def _count(row: Mapping[str, Any], arm: str) -> str:
    if missing(row.get(f"responders_{arm}_median")):
        return DASH
    median, lower, upper = (row[f"responders_{arm}_{k}"] for k in ("median", "lower", "upper"))
    return f"{median:.0f} ({lower:.0f} to {upper:.0f})"


def _at_boundary(row: Mapping[str, Any], prefix: str) -> bool:
    values = [row.get(f"{prefix}_{k}") for k in ("median", "lower", "upper")]
    return any(not missing(v) and not RATIO_FLOOR <= v <= RATIO_CEILING for v in values)


def scenario_rows(frame: pd.DataFrame) -> dict[str, Any]:
    """The named scenarios: assumptions, imputed counts, RD, RIOTT's and the pooled result."""
    header = [
        "Scenario",
        "IMOR heroin / methadone",
        "missing share heroin / methadone",
        "reading",
        "responders heroin",
        "responders methadone",
        "RD (points)",
        "RIOTT OR (95% CrI)",
        "P(RIOTT OR>1)",
        "pooled OR (95% CrI)",
        "pooled P(benefit)",
        "compatible",
    ]
    rows = []
    for row in frame.to_dict("records"):
        rows.append(
            [
                row["scenario"],
                f"{fmt_number(row['imor_heroin'])} / {fmt_number(row['imor_methadone'])}",
                f"{row['missing_share_heroin']:.2f} / {row['missing_share_methadone']:.2f}",
                row["anchor_reading"].replace("_", " "),
                _count(row, "heroin"),
                _count(row, "methadone"),
                f"{fmt_rd(row.get('rd_median'))} ({fmt_rd(row.get('rd_lower'))} to "
                f"{fmt_rd(row.get('rd_upper'))})",
                f"{fmt_ratio(row.get('riott_or_median'))} "
                f"({fmt_interval(row.get('riott_or_lower'), row.get('riott_or_upper'))})",
                fmt_prob(row.get("riott_p_or_above_1")),
                f"{fmt_ratio(row.get('pooled_or_median'))} "
                f"({fmt_interval(row.get('pooled_or_lower'), row.get('pooled_or_upper'))})",
                fmt_prob(row.get("pooled_p_benefit")),
                "yes" if row["usable"] else f"no: {row['reason']}",
            ]
        )
    return {"header": header, "rows": rows}


def boundary_notes(scenarios: pd.DataFrame, structural: pd.DataFrame) -> list[str]:
    """Plain words for every named scenario, and the structural cells, whose odds ratio
    interval reaches beyond 0.001 or 1000."""
    notes = []
    for row in scenarios.to_dict("records"):
        hits = [
            what
            for prefix, what in (("riott_or", "RIOTT's"), ("pooled_or", "the pooled"))
            if _at_boundary(row, prefix)
        ]
        if hits:
            notes.append(
                f"Scenario '{row['scenario']}': {' and '.join(hits)} odds ratio interval reaches "
                f"beyond {RATIO_FLOOR:g} or {RATIO_CEILING:g}, because an arm's responder "
                "probability approaches 0 or 1 under its assumptions (imputed responders "
                f"heroin {_count(row, 'heroin')} of {row['n_heroin']}, oral methadone "
                f"{_count(row, 'methadone')} of {row['n_methadone']}). The interval is "
                "shown as a bound; the responder counts and the risk difference describe "
                "the scenario."
            )
    cells = [
        row
        for row in structural.to_dict("records")
        if _at_boundary(row, "riott_or") or _at_boundary(row, "pooled_or")
    ]
    if cells:
        listed = "; ".join(
            f"sigma_provide {fmt_number(row['sigma_provide'])}, rho {fmt_number(row['rho'])}, "
            f"heroin missing {row['missing_share_heroin']:.0%}, "
            f"{row['anchor_reading'].replace('_', ' ')} reading: responders heroin "
            f"{_count(row, 'heroin')} of {row['n_heroin']}, oral methadone "
            f"{_count(row, 'methadone')} of {row['n_methadone']}"
            for row in cells
        )
        notes.append(
            f"In {len(cells)} of the {len(structural)} combinations of structural assumptions an "
            f"odds ratio interval reaches beyond {RATIO_FLOOR:g} or {RATIO_CEILING:g} and is "
            f"shown as a bound, because an arm's responder probability approaches 0 or 1 there "
            f"({listed})."
        )
    return notes


def _methods(riott: RiottSettings) -> dict[str, Any]:
    settings = {
        key: fmt_number(value)
        for key, value in riott._asdict().items()
        if not isinstance(value, dict | tuple) and value is not None
    }
    settings |= {
        f"ranges/{key}": ", ".join(map(fmt_number, value)) if isinstance(value, tuple) else value
        for key, value in riott.ranges._asdict().items()
    }
    scenarios = [
        [
            name,
            "; ".join(
                f"{key} = {fmt_number(value)}"
                for key, value in scenario._asdict().items()
                if key != "name" and value is not None
            ),
        ]
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
            "rows": scenarios,
        },
    }


def _figures(heatmaps: Mapping[tuple[str, str], str], curve: str) -> list[dict[str, Any]]:
    wide = {
        "name": "RIOTT's odds ratio (median and 95% CrI, imputation mixture) and the pooled "
        "P(benefit) along the oral-methadone IMOR, at the default heroin missing share.",
        "uri": png_data_uri(curve),
        "wide": True,
    }
    return [wide] + [
        {
            "name": f"{WHAT[result]} over the oral-methadone missing share and IMOR, heroin arm "
            f"held at scenario '{heroin}' (hatched: incompatible with the published counts).",
            "uri": png_data_uri(path),
            "wide": False,
        }
        for (result, heroin), path in sorted(heatmaps.items())
    ]


def _bank_note(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        bank = json.load(handle)
    checks = bank["checks"]
    return (
        f"Exact propagation: the pooled posterior under each of the {bank['pairs']} possible "
        "pairs of RIOTT responder counts was computed by quadrature, with every trial's own "
        "parameters integrated out (no sampling, so no Monte Carlo error); halving the "
        "heterogeneity grid changes no cumulative probability by more than "
        f"{checks['max_cdf_change_half_tau_grid']:.1g}. Each scenario's result is the "
        "mixture of these posteriors over its imputed responder counts."
    )


def _explorer(riott: RiottSettings, scenarios: pd.DataFrame, cells_path: str) -> dict[str, Any]:
    """The explorer: the named scenarios and every grid cell, looked up by their assumptions."""
    threshold = riott.tipping.benefit_probability
    table = explorer.rows(scenarios, pd.read_csv(cells_path), threshold)
    named = explorer.named_keys(scenarios)
    start = next(iter(named))
    return {
        **view(explorer.ELEMENT, explorer.spec(table, riott, named, start)),
        "caption": "Explore the assumptions",
        "text": (
            f"Choose a named scenario, or set each assumption. The page looks the combination "
            f"up among the {len(named)} named scenarios (scenarios.csv) and the "
            f"{len(table) - len(named)} grid cells (cells.csv) the workflow computed, and shows "
            f"that row's numbers; a combination it did not compute is called off the grid, not "
            f"interpolated. The curves run through every computed oral-methadone IMOR with the "
            f"other assumptions as set; the diamond is the current choice."
        ),
    }


def section(riott: RiottSettings, paths: Mapping[str, Any]) -> dict[str, Any]:
    """The report section. ``paths``: ``scenarios``, ``cells`` (the explorer's grid),
    ``tipping_points``, ``tipping_map`` (shown beside the tipping points), ``depends_on``,
    ``structural``, ``sentences``, ``bank_checks``, ``curve`` and ``heatmaps`` (a mapping
    ``(result, heroin scenario) -> PNG``, result ``riott`` or ``pooled``)."""
    with open(paths["sentences"], encoding="utf-8") as handle:
        callout = [line.strip() for line in handle if line.strip()]
    scenarios = pd.read_csv(paths["scenarios"])
    structural = pd.read_csv(paths["structural"])
    structural_columns = {
        "sigma_provide": "sigma_provide",
        "rho": "rho",
        "missing_share_heroin": "missing share heroin",
        "anchor_reading": "reading",
        "missing_share_methadone": "missing share methadone",
        "riott_or_median": "RIOTT OR",
        "riott_or_lower": "lower",
        "riott_or_upper": "upper",
        "pooled_p_benefit": "pooled P(benefit)",
        "usable": "compatible",
    }
    return {
        "id": "riott",
        "title": "RIOTT missing-test sensitivity",
        "callout": callout,
        "explorer": _explorer(riott, scenarios, paths["cells"]),
        "tables": [
            {
                "caption": "Named scenarios: imputed responders (median, 95% interval), risk "
                "difference, RIOTT's odds ratio and the pooled illicit-heroin result, all from the "
                "imputation mixture",
                "compact": True,
                **scenario_rows(scenarios),
            },
            {
                "caption": "Tipping points along the oral-methadone IMOR (\u2013 : none within the "
                "grid); incompatible cells are left out",
                "compact": False,
                **table(pd.read_csv(paths["tipping_points"]), TIPPING_HEADERS),
                "figure": {
                    "name": "The tipping points on the oral-methadone IMOR grid: RIOTT's 95% CrI "
                    "above 1 (upper half of each cell) and the pooled P(benefit) at or above "
                    f"{riott.tipping.benefit_probability:g} (lower half), dark where they hold; "
                    "black bars: the tipping points of the table; hatched: incompatible cells; "
                    "framed and starred: the configured choice.",
                    "uri": png_data_uri(paths["tipping_map"]),
                },
            },
            {
                "caption": "What the conclusion depends on: each structural assumption over its "
                "range, the others at their defaults (compatible cells only)",
                "compact": False,
                **table(pd.read_csv(paths["depends_on"]), DEPENDS_HEADERS),
            },
            {
                "caption": "Every combination of the structural assumptions",
                "compact": True,
                **table(structural[list(structural_columns)], structural_columns),
            },
        ],
        "notes": [_bank_note(paths["bank_checks"]), *boundary_notes(scenarios, structural)],
        "figures": _figures(paths["heatmaps"], paths["curve"]),
        "methods": _methods(riott),
    }
