"""The report's sensitivity explorer: every scenario the workflow computed, looked up by its
assumptions.

A reviewer moves a control (each arm's IMOR, the heroin arm's missing share, the oral-methadone
arm's share or the reading of the anchor, ``sigma_provide``, ``rho``, or a named scenario) and
reads RIOTT's odds ratio, the pooled odds ratio, P(benefit) and compatibility with the published
counts for exactly that combination. The page only looks rows up: every number on it is a row of
``scenarios.csv`` or ``cells.csv`` as the workflow wrote it. A combination the workflow did not
compute is said to be off the grid, never interpolated.

:func:`rows` builds the lookup table; :func:`spec` the Vega specification (signals bound to
select inputs, a filter on them, text and line marks), which the report embeds with the Vega
library inlined (:mod:`hatmeta.report.vega`). Named scenarios (more imputations) win over a grid
cell with the same assumptions.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from hatmeta.riott.settings import RiottSettings

ELEMENT = "riott-explorer"  # the report's element the view is drawn in
CONTROLS = f"#{ELEMENT}-controls"  # and the one its controls are drawn in (the template's)
WRAP = 100  # characters per line of the read-outs
PANEL = (280, 170)  # width and height of each curve's panel, pixels
KEYS = ("ih", "im", "hs", "ms", "s", "r")  # the assumptions a row is looked up by
READINGS = {
    "percentage_points": "from the anchor, read as percentage points",
    "relative": "from the anchor, read as relative",
}
OFF_GRID = (
    "Off the grid: the workflow did not compute this combination, and the page does not "
    "interpolate. Compute it in the riott_sensitivity notebook (\u2018your scenario\u2019, about "
    "a second), or add it under riott.scenarios in the config and run the workflow."
)


def label(value: Any) -> str:
    """A control's value as the page shows and matches it: 3 significant figures, ∞."""
    if isinstance(value, str):
        return value
    value = float(value)
    return "\u221e" if math.isinf(value) else f"{value:.3g}"


def _ratio(median: float, lower: float, upper: float) -> str:
    if any(pd.isna(v) for v in (median, lower, upper)):
        return "not computed"
    return f"{median:.3g} (95% CrI {lower:.3g} to {upper:.3g})"


def _key(row: Mapping[str, Any]) -> dict[str, str]:
    reading = row["anchor_reading"]
    share = row["missing_share_methadone"] if reading == "explicit" else reading
    return {
        "ih": label(row["imor_heroin"]),
        "im": label(row["imor_methadone"]),
        "hs": label(row["missing_share_heroin"]),
        "ms": label(share),
        "s": label(row["sigma_provide"]),
        "r": label(row["rho"]),
    }


def _row(row: Mapping[str, Any], source: str, name: str, priority: int, threshold: float):
    usable = str(row["usable"]).strip().lower() == "true"
    benefit = row["pooled_p_benefit"]
    key = _key(row)
    return {
        **key,
        "slice": "|".join(key[k] for k in KEYS if k != "im"),
        "im_value": min(float(row["imor_methadone"]), 1e300),  # JSON has no infinity
        "priority": priority,
        "source": f"{source}: {name}",
        "riott": _ratio(row["riott_or_median"], row["riott_or_lower"], row["riott_or_upper"]),
        "pooled": _ratio(row["pooled_or_median"], row["pooled_or_lower"], row["pooled_or_upper"]),
        "benefit": "not computed"
        if pd.isna(benefit)
        else f"{benefit:.3f} ({'at or above' if benefit >= threshold else 'below'} "
        f"the {threshold:g} threshold)",
        # Wrapped here (the page breaks lines at "\n", it does not wrap): the reason can be long.
        "compatible": "yes" if usable else textwrap.fill(f"no: {row['reason']}", WRAP),
        "usable": usable,
        "p_benefit": None if pd.isna(benefit) or not usable else float(benefit),
        "riott_median": None if not usable else float(row["riott_or_median"]),
        "riott_lower": None if not usable else float(row["riott_or_lower"]),
        "riott_upper": None if not usable else float(row["riott_or_upper"]),
    }


def rows(scenarios: pd.DataFrame, cells: pd.DataFrame, threshold: float) -> list[dict[str, Any]]:
    """One lookup row per computed scenario: named scenarios first (priority 0), then the grid
    cells (priority 1). Keys are the controls' labels; values are formatted for display from the
    CSV's numbers, nothing else."""
    named = [
        _row(r, "scenarios.csv", r["scenario"], 0, threshold) for r in scenarios.to_dict("records")
    ]
    grid = [_row(r, "cells.csv", r["scenario"], 1, threshold) for r in cells.to_dict("records")]
    return named + grid


def named_keys(scenarios: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Each named scenario's control labels, in the file's order (the spec's ``named``)."""
    return {row["scenario"]: _key(row) for row in scenarios.to_dict("records")}


def _numeric_order(values: Sequence[str]) -> list[str]:
    def key(text: str) -> tuple[int, float, str]:
        if text == "\u221e":
            return (0, math.inf, text)
        try:
            return (0, float(text), text)
        except ValueError:
            return (1, 0.0, text)

    return sorted(set(values), key=key)


def _select(name: str, title: str, options: Sequence[str], labels: Sequence[str], value: str):
    """A signal bound to a select input: a control, drawn in the element :data:`CONTROLS`."""
    return {
        "name": name,
        "value": value,
        "bind": {
            "input": "select",
            "options": list(options),
            "labels": list(labels),
            "name": title,
            "element": CONTROLS,
        },
    }


def spec(
    table: Sequence[Mapping[str, Any]],
    riott: RiottSettings,
    named: Mapping[str, Mapping[str, str]],
    start: str,
) -> dict[str, Any]:
    """The Vega specification of the explorer.

    ``named``: each named scenario's control labels (from :func:`rows`' keys), ``start`` the
    scenario the page opens at."""
    options = {k: _numeric_order([r[k] for r in table]) for k in KEYS}
    shares = [o for o in options["ms"] if o not in READINGS]
    ms_options = [o for o in READINGS if o in options["ms"]] + shares
    ms_labels = [READINGS.get(o, f"explicit share {o}") for o in ms_options]
    first = named[start]
    controls = [
        _select("ih", "IMOR, heroin arm", options["ih"], options["ih"], first["ih"]),
        _select("im", "IMOR, oral-methadone arm", options["im"], options["im"], first["im"]),
        _select("hs", "missing share, heroin arm", options["hs"], options["hs"], first["hs"]),
        _select("ms", "missing share, oral-methadone arm", ms_options, ms_labels, first["ms"]),
        _select("s", "sigma_provide", options["s"], options["s"], first["s"]),
        _select("r", "rho", options["r"], options["r"], first["r"]),
    ]
    # Choosing a named scenario moves every control to its assumptions; moving a control
    # afterwards looks up whatever combination the controls then show.
    for control in controls:
        control["on"] = [
            {
                "events": {"signal": "scenario"},
                "update": f"scenario === '' ? {control['name']} : "
                f"named[scenario].{control['name']}",
            }
        ]
    scenario = _select(
        "scenario",
        "named scenario",
        ["", *named],
        ["(set the controls below)", *named],
        start,
    )
    match = " && ".join(f"datum.{k} === {k}" for k in KEYS)
    current_slice = " + '|' + ".join(k for k in KEYS if k != "im")
    lines = [
        ("Looked up", "source"),
        ("RIOTT odds ratio", "riott"),
        ("Pooled odds ratio", "pooled"),
        ("Pooled P(benefit)", "benefit"),
        ("Compatible with the published counts", "compatible"),
    ]
    text_marks = [
        {
            "type": "text",
            "from": {"data": "current"},
            "encode": {
                "update": {
                    "x": {"value": 0},
                    "y": {"value": 16 + 20 * i},
                    "text": {"signal": f"'{title}: ' + datum.{field}"},
                    "fontSize": {"value": 13},
                    "fontWeight": {"value": "bold" if i == 0 else "normal"},
                    "lineBreak": {"value": "\n"},
                }
            },
        }
        for i, (title, field) in enumerate(lines)
    ]
    off_grid = {
        "type": "text",
        "encode": {
            "update": {
                "x": {"value": 0},
                "y": {"value": 16},
                "text": {"signal": f"found ? '' : {textwrap.fill(OFF_GRID, WRAP)!r}"},
                "lineBreak": {"value": "\n"},
                "fontSize": {"value": 13},
                "fill": {"value": "#b2182b"},
            }
        },
    }
    return {
        "$schema": "https://vega.github.io/schema/vega/v6.json",
        "description": "Sensitivity explorer: lookups of the workflow's computed scenarios.",
        "width": 660,
        "height": 380,
        "padding": 5,
        "signals": [
            {"name": "named", "value": dict(named)},
            scenario,
            *controls,
            {"name": "found", "update": "length(data('current')) > 0"},
            {"name": "threshold", "value": riott.tipping.benefit_probability},
        ],
        "data": [
            {"name": "table", "values": list(table)},
            {
                "name": "current",
                "source": "table",
                "transform": [
                    {"type": "filter", "expr": match},
                    {"type": "collect", "sort": {"field": "priority"}},
                    {"type": "window", "ops": ["row_number"], "as": ["rank"]},
                    {"type": "filter", "expr": "datum.rank === 1"},
                ],
            },
            {
                "name": "curve",
                "source": "table",
                "transform": [
                    {"type": "filter", "expr": f"datum.slice === {current_slice}"},
                    {"type": "filter", "expr": "datum.p_benefit !== null"},
                    {
                        "type": "window",
                        "groupby": ["im"],
                        "sort": {"field": "priority"},
                        "ops": ["row_number"],
                        "as": ["rank"],
                    },
                    {"type": "filter", "expr": "datum.rank === 1"},
                    {"type": "collect", "sort": {"field": "im_value"}},
                ],
            },
            {
                "name": "here",
                "source": "curve",
                "transform": [{"type": "filter", "expr": "datum.im === im"}],
            },
        ],
        "marks": [
            *text_marks,
            off_grid,
            _curve_panel(options["im"], "p_benefit", None, [0, 1], "threshold", 0,
                         "Pooled P(benefit); dashed: the threshold"),
            _curve_panel(options["im"], "riott_median", ("riott_lower", "riott_upper"),
                         [0.01, 1000], "1", 1, "RIOTT odds ratio, 95% CrI; dashed: 1"),
        ],
    }  # fmt: skip


def _curve_panel(imors, field, interval, domain, rule, column, title) -> dict[str, Any]:
    """One panel of the tipping curve through the current choice: every computed IMOR of the
    oral-methadone arm, the other assumptions as the controls show them; the current choice is
    the orange diamond."""
    scale = "y" if interval is None else "logy"
    point = {"x": {"scale": "x", "field": "im"}, "y": {"scale": scale, "field": field}}
    marks: list[dict[str, Any]] = [
        {
            "type": "rule",
            "encode": {
                "update": {
                    "x": {"value": 0},
                    "x2": {"value": PANEL[0]},
                    "y": {"scale": scale, "signal": rule},
                    "stroke": {"value": "#b2182b"},
                    "strokeDash": {"value": [4, 3]},
                }
            },
        },
        {
            "type": "line",
            "from": {"data": "curve"},
            "encode": {"update": {**point, "stroke": {"value": "#1f5fa8"}}},
        },
        {
            "type": "symbol",
            "from": {"data": "curve"},
            "encode": {"update": {**point, "size": {"value": 25}, "fill": {"value": "#1f5fa8"}}},
        },
        {
            "type": "symbol",
            "from": {"data": "here"},
            "encode": {
                "update": {
                    **point,
                    "size": {"value": 170},
                    "shape": {"value": "diamond"},
                    "fill": {"value": "#e08214"},
                    "stroke": {"value": "black"},
                }
            },
        },
    ]
    if interval is not None:
        marks.insert(
            1,
            {
                "type": "rule",
                "from": {"data": "curve"},
                "encode": {
                    "update": {
                        "x": {"scale": "x", "field": "im"},
                        "y": {"scale": scale, "field": interval[0]},
                        "y2": {"scale": scale, "field": interval[1]},
                        "stroke": {"value": "#1f5fa8"},
                        "strokeOpacity": {"value": 0.5},
                        "strokeWidth": {"value": 3},
                    }
                },
            },
        )
    y_scale = {
        "name": scale,
        "type": "linear" if interval is None else "log",
        "domain": domain,
        "range": [PANEL[1], 0],
        "clamp": True,
    }
    return {
        "type": "group",
        "encode": {"update": {
            "x": {"value": 40 + column * 340}, "y": {"value": 170},
            "width": {"value": PANEL[0]}, "height": {"value": PANEL[1]},
        }},
        "title": {"text": title, "fontSize": 11, "anchor": "start"},
        "scales": [
            {"name": "x", "type": "point", "domain": list(imors), "range": [0, PANEL[0]],
             "padding": 0.5},
            y_scale,
        ],
        "axes": [
            {"scale": "x", "orient": "bottom", "title": "IMOR, oral-methadone arm"},
            {"scale": scale, "orient": "left", "tickCount": 5},
        ],
        "marks": marks,
    }  # fmt: skip
