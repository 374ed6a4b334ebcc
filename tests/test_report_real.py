"""Checks on the report of a real run (the real config with the small override, ``small_run``):
what a reader sees, measured in the rendered HTML and in a headless browser."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (apt-get install -y chromium); browser measurement skipped",
)

#: Written into a copy of the page: on load, every table's width against its container's,
#: as JSON in an element the dumped DOM carries.
MEASURE = """<script>
window.addEventListener('load', () => {
  const out = [...document.querySelectorAll('table')].map(t => ({
    caption: (t.caption ? t.caption.textContent : '').trim().slice(0, 80),
    section: (t.closest('section[id]') || {id: ''}).id,
    table: t.scrollWidth,
    container: t.parentElement.clientWidth,
  }));
  const pre = document.createElement('pre');
  pre.id = 'table-widths';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def table_widths(page: Path, workdir: Path, width: int = 1280) -> list[dict]:
    """Every ``<table>`` of ``page`` as headless Chromium lays it out in a window ``width``
    pixels wide: its ``scrollWidth`` and its container's ``clientWidth``."""
    measured = workdir / "measured.html"
    measured.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    result = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={workdir / 'profile'}",
            f"--window-size={width},2000",
            "--virtual-time-budget=10000",
            "--dump-dom",
            measured.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    found = re.search(r'<pre id="table-widths">(.*?)</pre>', result.stdout, re.S)
    assert found, f"chromium gave no measurements:\n{result.stderr[-2000:]}"
    return json.loads(html_lib.unescape(found.group(1)))


def overflowing(widths: list[dict]) -> list[dict]:
    """The tables wider than their container (one pixel of rounding allowed)."""
    return [w for w in widths if w["table"] > w["container"] + 1]


@needs_chromium
def test_the_measurement_finds_a_table_wider_than_its_column(tmp_path):
    cells = "".join(f"<td style='white-space: nowrap'>{'word ' * 30}</td>" for _ in range(3))
    page = tmp_path / "wide.html"
    page.write_text(
        "<!DOCTYPE html><html><body style='max-width: 40rem'>"
        f"<table><caption>wide</caption><tr>{cells}</tr></table>"
        "<table><caption>narrow</caption><tr><td>x</td></tr></table></body></html>"
    )
    widths = table_widths(page, tmp_path)
    assert [w["caption"] for w in overflowing(widths)] == ["wide"]
    assert len(widths) == 2


@needs_chromium
@pytest.mark.parametrize("width", [1280, 900])
def test_no_table_of_the_real_report_is_wider_than_the_text_column(small_run, tmp_path, width):
    page = small_run / "results/report/report.html"
    widths = table_widths(page, tmp_path, width)
    markup = re.sub(r"<script\b.*?</script>", "", page.read_text(), flags=re.S)  # not code
    assert len(widths) == markup.count("<table"), "a table was not measured"
    assert overflowing(widths) == []


#: A p-value in running text: "p = 0.042", "p < 0.001", "p 0.42" (a number in exponent form
#: included, which is what must not be there).
P_IN_TEXT = re.compile(r"(?<![\w-])p\s?(?:=|<)?\s?(\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.])")
EXPONENT = re.compile(r"^\d+(?:\.\d+)?e[-+]?\d+$", re.IGNORECASE)
#: A table column of p-values: its header ends in " p" or says "p-value".
P_HEADER = re.compile(r"(^|\s)p$|p-value", re.IGNORECASE)


class Cells(HTMLParser):
    """Every table as header texts and rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"header": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = []

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.tables:
            text = " ".join("".join(self.cell).split())
            table = self.tables[-1]
            (table["header"] if tag == "th" else table["rows"][-1]).append(text)
            self.cell = None


def p_values(page: str) -> list[str]:
    """Every p-value the page shows: in its visible text, and in table columns of p-values."""
    visible = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S)
    shown = P_IN_TEXT.findall(html_lib.unescape(visible))
    parser = Cells()
    parser.feed(page)
    for table in parser.tables:
        columns = [i for i, h in enumerate(table["header"]) if P_HEADER.search(h)]
        shown += [row[i] for row in table["rows"] for i in columns if i < len(row)]
    return shown


def test_p_values_are_found_and_an_exponent_is_caught():
    page = (
        "<p>Q 71 (4 df, p = 7e-11); funnel p &lt; 0.001, p 0.42</p>"
        "<table><tr><th>Left out</th><th>Conflict p</th></tr><tr><td>A</td><td>1.2e-15</td></tr>"
        "</table><img src='data:image/png;base64,xp+7e-11'>"
    )
    shown = p_values(page)
    assert shown == ["7e-11", "0.001", "0.42", "1.2e-15"]
    assert [p for p in shown if EXPONENT.match(p)] == ["7e-11", "1.2e-15"]


def test_no_p_value_of_the_real_report_is_in_exponent_form(small_run):
    shown = p_values((small_run / "results/report/report.html").read_text())
    assert len(shown) > 10, "the report's p-values were not found"
    assert [p for p in shown if EXPONENT.match(p)] == []


# --- every part of the report states the same result of each analysis -------------------------

#: A summary-of-findings row, a Bayesian detail row and a plain-language sentence of one
#: analysis, as the report writes them.
PARTS = """<p class="meta">main evidence set <strong>all</strong></p>
<section id="grade"><table><tr data-analysis="sae"><td>Serious adverse events</td>
<td class="relative">{grade}</td></tr></table></section>
<section id="summary"><table><tr class="group-start" data-analysis="sae" data-evidence="all">
<td>Serious adverse events</td><td>all</td><td class="num">2 / 1241</td>{bayes}</tr></table>
<div id="plain-language"><p data-analysis="sae">{plain}</p></div></section>
<section id="methods"></section>"""
RATE = "Rate ratio 3.17 (1.55 to 6.23)"
SAID = (
    '<td class="num est relative"><span class="ci">Rate ratio</span><strong>3.17</strong>'
    '<span class="ci">1.55 to 6.23</span></td>',
    "Serious adverse events (2 trials): with SIH, the rate of the event was 3.17 times that "
    "with oral methadone (rate ratio, 95% CrI 1.55 to 6.23).",
)
NOT_MODELLED = (
    '<td colspan="5" class="muted relative"><strong>not modelled</strong>: events</td>',
    "Serious adverse events (2 trials): not modelled; events. No pooled estimate or probability "
    "of benefit is given.",
)


def test_the_check_finds_parts_that_disagree():
    from report_checks import disagreements

    assert disagreements(PARTS.format(grade=RATE, bayes=SAID[0], plain=SAID[1])) == []
    # the issue as reported: the SoF gives the rate ratio, the other parts say "not modelled"
    found = disagreements(PARTS.format(grade=RATE, bayes=NOT_MODELLED[0], plain=NOT_MODELLED[1]))
    assert [line.split()[1] for line in found] == ["bayes", "plain"]
    # another interval, or an estimate where the SoF has none
    other = SAID[1].replace("1.55 to 6.23", "1.61 to 6.40")
    assert len(disagreements(PARTS.format(grade=RATE, bayes=SAID[0], plain=other))) == 1
    none = "not estimated (not modelled; see comments)"
    found = disagreements(PARTS.format(grade=none, bayes=SAID[0], plain=SAID[1]))
    assert len(found) == 3 and all(
        any(part in line for line in found) for part in (" bayes ", " plain ")
    )


def test_every_part_of_the_real_report_states_the_same_result(small_run):
    from report_checks import disagreements, stated

    html = (small_run / "results/report/report.html").read_text()
    said = stated(html)
    # every outcome of the Bayesian detail has its three parts, the rate outcome among them
    primaries = [name for name, parts in said.items() if "bayes" in parts]
    assert "sae" in primaries and "illicit_heroin" in primaries
    assert all(set(said[name]) == {"grade", "bayes", "plain"} for name in primaries)
    assert said["sae"]["grade"].startswith("Rate ratio")
    assert disagreements(html) == []


#: Counts of serious adverse events (events, not participants: the rate model pools them), added
#: to the synthetic review: (trial, arm, events, participants randomised).
EVENT_ROWS = [
    ("ALPHA2001", "BUP", 9, 60),
    ("ALPHA2001", "PLA", 3, 58),
    ("BETA2005", "BUP", 7, 45),
    ("BETA2005", "PLA", 2, 44),
    ("GAMMA2010", "BUP", 12, 80),
    ("GAMMA2010", "PLA", 5, 79),
]


@pytest.mark.workflow
def test_every_part_states_the_same_result_in_a_review_with_counts_of_events(tmp_path):
    """Another review, with an outcome counted in events: its rate ratio is what the summary
    of findings, the Bayesian detail and the plain-language text all state."""
    import csv

    import yaml
    from conftest import OTHER_REVIEW, review_copy, snakemake, write_rows
    from report_checks import disagreements, stated

    review = review_copy(OTHER_REVIEW, tmp_path / "review")
    sheet = review / "extraction.csv"
    with sheet.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    template = next(r for r in rows if r["outcome"] == "adverse_event")
    for trial, arm, events, total in EVENT_ROWS:
        like = next(r for r in rows if r["trial"] == trial and r["arm"] == arm)
        rows.append(
            template
            | {k: like[k] for k in ("country", "year", "treatment", "source", "location")}
            | {
                "trial": trial,
                "arm": arm,
                "outcome": "serious_event",
                "measure": "serious_events",
                "definition": "Serious adverse events (events, not participants)",
                "events": str(events),
                "total": str(total),
                "unit": "events",
                "status": "reported",
                "note": "Synthetic test data",
            }
        )
    write_rows(sheet, rows, list(rows[0]))
    config = yaml.safe_load((review / "config.yaml").read_text())
    config["outcomes"]["serious_event"] = {
        "event": "serious adverse event",
        "higher_is_better": False,
        "turner_outcome_type": "adverse events",
    }
    config["analyses"]["serious_events"] = {
        "title": "Serious adverse events",
        "outcome": "serious_event",
        "measures": ["serious_events"],
        "trials": ["ALPHA2001", "BETA2005", "GAMMA2010"],
    }
    (review / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    snakemake("--directory", str(review), "--config", "review=config.yaml", "--cores", "2")
    html = (review / "results/report/report.html").read_text()
    said = stated(html)
    assert set(said["serious_events"]) == {"grade", "bayes", "plain"}
    assert said["serious_events"]["grade"].startswith("Rate ratio")
    assert disagreements(html) == []
