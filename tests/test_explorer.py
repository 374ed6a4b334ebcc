"""The report's sensitivity explorer: its lookup table, and the page in a real browser.

The browser tests open the report of the session's pipeline run in headless Chromium, move the
controls as a reviewer would (select an option, fire ``change``), and read what the page shows.
Every named scenario must show its numbers from ``scenarios.csv``, grid cells theirs from
``cells.csv``, a combination nobody computed must be called off the grid, and the page must load
nothing over the network and log no error.
"""

from __future__ import annotations

import itertools
import json
import math
import re

import pandas as pd
import pytest
from browser import Browser
from conftest import CHROMIUM

from hatmeta.riott import explorer
from hatmeta.riott import layout as riott_layout

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"
)
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def _frame(**columns) -> pd.DataFrame:
    base = {
        "scenario": "a",
        "imor_heroin": 1.0,
        "imor_methadone": 1.0,
        "missing_share_heroin": 0.15,
        "missing_share_methadone": 0.58,
        "anchor_reading": "percentage_points",
        "sigma_provide": 1.0,
        "rho": 0.5,
        "usable": True,
        "reason": "",
        "riott_or_median": 2.0,
        "riott_or_lower": 1.0,
        "riott_or_upper": 4.0,
        "pooled_or_median": 3.0,
        "pooled_or_lower": 1.5,
        "pooled_or_upper": 6.0,
        "pooled_p_benefit": 0.97,
    }
    return pd.DataFrame([{**base, **columns}])


def test_a_named_scenario_comes_before_a_grid_cell_with_the_same_assumptions():
    table = explorer.rows(_frame(), _frame(scenario="cell", riott_or_median=2.5), 0.95)
    assert [r["priority"] for r in table] == [0, 1]
    assert table[0]["source"] == "scenarios.csv: a"
    assert {k: table[0][k] for k in explorer.KEYS} == {k: table[1][k] for k in explorer.KEYS}
    assert table[0]["riott"].startswith("2 (") and table[1]["riott"].startswith("2.5 (")


def test_keys_read_the_anchor_or_the_explicit_share_and_infinity():
    [reading] = explorer.rows(_frame(imor_methadone=math.inf), _frame().iloc[:0], 0.95)
    assert reading["im"] == "\u221e" and reading["ms"] == "percentage_points"
    explicit = _frame(anchor_reading="explicit", missing_share_methadone=0.211111)
    [cell] = explorer.rows(explicit, _frame().iloc[:0], 0.95)
    assert cell["ms"] == "0.211"
    json.dumps(reading, allow_nan=False)  # the page's data must be valid JSON


def test_an_incompatible_cell_says_why_and_draws_no_point():
    [row] = explorer.rows(_frame(usable=False, reason="too few"), _frame().iloc[:0], 0.95)
    assert row["compatible"] == "no: too few"
    assert row["p_benefit"] is None and row["riott_median"] is None
    [row] = explorer.rows(_frame(pooled_p_benefit=0.9), _frame().iloc[:0], 0.95)
    assert "below the 0.95 threshold" in row["benefit"]


# ------------------------------------------------------------------------ in the browser

READ = """(async () => {
  await new Promise(r => setTimeout(r, 150));
  return Array.from(document.querySelectorAll('#riott-explorer text'))
    .map(t => t.textContent).filter(t => t.includes(': ') || t.startsWith('Off the grid'));
})()"""


def _set(browser: Browser, name: str, value: str) -> None:
    found = browser.evaluate(
        f"""(() => {{
        const select = document.querySelector('#riott-explorer-controls select[name="{name}"]');
        if (!select) return 'no control';
        const option = Array.from(select.options).find(o => o.value === {json.dumps(value)});
        if (!option) return 'no option';
        select.value = option.value;
        select.dispatchEvent(new Event('change'));
        return 'ok';
    }})()"""
    )
    assert found == "ok", f"control {name} = {value!r}: {found}"


def _shown(browser: Browser) -> dict[str, str]:
    lines = browser.evaluate(READ)
    return dict(line.split(": ", 1) for line in lines if ": " in line) | {
        "off": next((line for line in lines if line.startswith("Off the grid")), "")
    }


def _close(shown: str, expected: float) -> bool:
    """A number shown to 3 significant figures against the CSV's value."""
    return math.isclose(float(shown), expected, rel_tol=5e-3, abs_tol=5e-4)


def _check(shown: dict[str, str], row: pd.Series, source: str) -> None:
    assert shown["Looked up"] == source
    for line, prefix in (("RIOTT odds ratio", "riott_or"), ("Pooled odds ratio", "pooled_or")):
        values = [float(x) for x in re.findall(NUMBER, shown[line].replace("95%", ""))]
        columns = [f"{prefix}_{k}" for k in ("median", "lower", "upper")]
        for value, column in zip(values, columns, strict=True):
            assert _close(value, row[column]), (source, column, value, row[column])
    benefit = float(shown["Pooled P(benefit)"].split(" ")[0])
    assert abs(benefit - row["pooled_p_benefit"]) <= 5e-4
    usable = str(row["usable"]) == "True"
    assert shown["Compatible with the published counts"].startswith("yes" if usable else "no")


@pytest.fixture(scope="module")
def page(small_run):
    with Browser() as browser:
        browser.open(small_run / "results/report/report.html")
        browser.evaluate("new Promise(r => setTimeout(r, 500))")
        yield browser, small_run


@needs_chromium
def test_every_named_scenario_shows_its_numbers_from_scenarios_csv(page):
    browser, workdir = page
    scenarios = pd.read_csv(workdir / riott_layout.SCENARIOS, keep_default_na=False)
    for _, row in scenarios.iterrows():
        _set(browser, "scenario", row["scenario"])
        _check(_shown(browser), row, f"scenarios.csv: {row['scenario']}")


@needs_chromium
def test_grid_cells_set_control_by_control_show_their_numbers_from_cells_csv(page):
    browser, workdir = page
    cells = pd.read_csv(workdir / riott_layout.CELLS, keep_default_na=False)
    scenarios = pd.read_csv(workdir / riott_layout.SCENARIOS, keep_default_na=False)
    table = explorer.rows(scenarios, cells, 0.95)
    # The row the page shows for a key is the first (named scenarios come first): check cells
    # that are that row for their key, one per family, and an incompatible one if any.
    first: dict[tuple, int] = {}
    for i, row in enumerate(table):
        first.setdefault(tuple(row[k] for k in explorer.KEYS), i)
    shown = [(i, table[i]) for i in sorted(first.values()) if table[i]["priority"] == 1]
    chosen = []
    for family in ("heatmap", "structural", "tipping"):
        rows = [(i, r) for i, r in shown if r["source"].startswith(f"cells.csv: {family}:")]
        if rows:
            chosen.append(rows[len(rows) // 2])
    chosen += [(i, r) for i, r in shown if not r["usable"]][:1]
    assert len(chosen) >= 2
    _set(browser, "scenario", "")
    for i, row in chosen:
        for key in explorer.KEYS:
            _set(browser, key, row[key])
        _check(_shown(browser), cells.iloc[i - len(scenarios)], row["source"])


@needs_chromium
def test_a_combination_not_computed_is_off_the_grid_not_interpolated(page):
    browser, workdir = page
    scenarios = pd.read_csv(workdir / riott_layout.SCENARIOS, keep_default_na=False)
    cells = pd.read_csv(workdir / riott_layout.CELLS, keep_default_na=False)
    table = explorer.rows(scenarios, cells, 0.95)
    computed = {tuple(r[k] for k in explorer.KEYS) for r in table}
    options = {k: sorted({r[k] for r in table}) for k in explorer.KEYS}
    # From a computed combination, change two assumptions to values the controls offer until
    # the combination is one nobody computed.
    start = dict(zip(explorer.KEYS, next(iter(sorted(computed))), strict=True))
    off = next(
        {**start, a: x, b: y}
        for a, b in itertools.combinations(explorer.KEYS, 2)
        for x in options[a]
        for y in options[b]
        if tuple({**start, a: x, b: y}[k] for k in explorer.KEYS) not in computed
    )
    _set(browser, "scenario", "")
    for key in explorer.KEYS:
        _set(browser, key, off[key])
    shown = _shown(browser)
    assert shown["off"].startswith("Off the grid") and "notebook" in shown["off"]
    assert "RIOTT odds ratio" not in shown


@needs_chromium
def test_the_page_fetches_nothing_and_logs_no_error(page):
    browser, workdir = page
    fetched = [url for url in browser.requests() if not url.startswith("data:")]
    assert fetched == [(workdir / "results/report/report.html").resolve().as_uri()]
    assert browser.problems() == []
