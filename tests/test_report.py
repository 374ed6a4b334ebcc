"""The HTML report: context from synthetic results, rendering, HTML structure, a browser check.

No sampling: every test writes small result files to ``tmp_path`` in the workflow's layout and
hands the report exactly those paths, as the report rule does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT

from hatmeta import layout
from hatmeta.docstrings import docstring_blocks
from hatmeta.report.provenance import NOT_GIT, git_describe, provenance
from hatmeta.report.render import build_context, render, write_report
from hatmeta.report.results import ReportInputs, read_fit, summary_of_findings
from hatmeta.riott import report as riott_report

ROOT_DATA = Path(__file__).resolve().parents[1] / "data" / "raw"

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2213bc60000000049454e44ae426082"
)


def _summary(or_median: float, trials: list[str]) -> pd.DataFrame:
    rows = [
        ("OR", or_median, or_median / 2, or_median * 2, or_median, "ratio", ""),
        ("log_OR", np.log(or_median), -0.1, 1.5, np.log(or_median), "log ratio", ""),
        ("OR_predictive", or_median, 0.5, 20.0, or_median, "ratio", "new trial"),
        ("tau", 0.4, 0.02, 1.1, 0.45, "sd of log OR", ""),
        ("baseline_risk", 0.4, None, None, 0.4, "risk", "control arms pooled"),
        ("RR", 1.5, 1.1, 2.0, 1.5, "ratio", ""),
        ("RD", 0.2, 0.05, 0.35, 0.2, "difference", ""),
        ("P(OR>1)", None, None, None, 0.987, "probability", "OR > 1"),
        ("P(benefit)", None, None, None, 0.987, "probability", "OR > 1"),
        ("P(clinically relevant benefit)", None, None, None, 0.9, "probability", "OR > 1.5"),
        ("OR_normal_normal", 2.9, 1.4, 6.1, None, "ratio", "cross-check"),
        ("P(benefit)_normal_normal", None, None, None, 0.981, "probability", "cross-check"),
    ]
    for t in trials:
        rows.append((f"OR_shrunken[{t}]", 2.0, 1.0, 4.0, 2.1, "ratio", ""))
        rows.append((f"OR_observed[{t}]", 2.5, 1.0, 6.0, None, "ratio", "observed"))
    return pd.DataFrame(
        rows, columns=["quantity", "median", "lower", "upper", "mean", "scale", "note"]
    )


def _trials(trials: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trial": trials,
            "label": [f"Country {t}" for t in trials],
            "measure": "m",
            "definition": "definition",
            "status_treatment": "reported",
            "status_control": "reported",
            "events_treatment": 30,
            "total_treatment": 50,
            "events_control": 20,
            "total_control": 50,
            "arm_control": "OMMT",
        }
    )


def evidence_record(trials: list[str], events: int = 150) -> dict:
    """A fit's diagnostics record of its trial counts (hatmeta.evidence_rules.record)."""
    return {
        "trials": trials,
        "participants": 100 * len(trials),
        "events": events,
        "control_events": events // 3,
        "control_participants": 50 * len(trials),
        "measures": ["m"],
        "units": ["participants"],
        "baseline_risk": 0.4,
        "baseline_source": "control arms pooled",
        "no_absolute_measures": "",
    }


def write_fit(
    directory: Path, or_median: float | None, trials: list[str], status="passed", events=150
):
    directory.mkdir(parents=True, exist_ok=True)
    if or_median is None:
        pd.DataFrame([{"quantity": "status", "note": "no data"}]).to_csv(
            directory / "summary.csv", index=False
        )
        _trials([]).to_csv(directory / "trials.csv", index=False)
        pd.DataFrame(columns=["left_out"]).to_csv(directory / "loo.csv", index=False)
        (directory / "diagnostics.json").write_text(json.dumps({"status": "no data"}))
        return
    _summary(or_median, trials).to_csv(directory / "summary.csv", index=False)
    _trials(trials).to_csv(directory / "trials.csv", index=False)
    pd.DataFrame(
        {
            "left_out": trials,
            "n_included": len(trials) - 1,
            "OR_median": 2.0,
            "OR_lower": 1.0,
            "OR_upper": 4.0,
            "tau_median": 0.3,
            "P(OR>1)": 0.97,
            "kind": "leave one out",
            "conflict_p": 0.42,
            "failures": "",
        }
    ).to_csv(directory / "loo.csv", index=False)
    diagnostics = {
        "status": status,
        "max_r_hat": 1.003 if status == "passed" else 1.05,
        "min_ess_bulk": 1500.2,
        "min_ess_tail": 1700.9,
        "divergences": 0 if status == "passed" else 7,
        "failures": [] if status == "passed" else ["7 divergences > 0"],
        "evidence": evidence_record(trials, events),
    }
    (directory / "diagnostics.json").write_text(json.dumps(diagnostics))


@pytest.fixture
def small_settings(project_settings):
    """The project's settings, cut to two analyses (one without data under reported_only)."""
    analyses = {k: project_settings.analyses[k] for k in ("illicit_heroin", "mortality")}
    return project_settings._replace(
        analyses=analyses, model=project_settings.model._replace(analyses=analyses)
    )


def write_results(root: Path, settings, published: bool = True) -> dict:
    """Synthetic result files in the workflow's layout; returns the report's named inputs."""
    trials = ["CH1998", "DE2007", "EN2010"]
    inputs = {"fits": [], "classical": [], "figures": []}
    for evidence in settings.evidence.run:
        for analysis in settings.analyses:
            for prior in settings.priors:
                files = layout.fit_files(evidence, analysis, prior)
                no_data = analysis == "mortality" and evidence == "reported_only"
                or_median = None if no_data else (3.1234 if analysis == "illicit_heroin" else 0.5)
                write_fit(root / Path(files.summary).parent, or_median, trials)
                (root / files.posterior).write_bytes(b"")
                inputs["fits"] += [str(root / f) for f in files]
            classical = root / layout.fill(layout.CLASSICAL, evidence=evidence, analysis=analysis)
            classical.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(columns=["section"]).to_csv(classical, index=False)
            inputs["classical"].append(str(classical))
            for pattern in (layout.FOREST, layout.PRIOR_SENSITIVITY, layout.RANK_PLOT):
                figure = root / layout.fill(pattern, evidence=evidence, analysis=analysis)
                figure.parent.mkdir(parents=True, exist_ok=True)
                figure.write_bytes(PNG_1PX)
                inputs["figures"].append(str(figure))
    audit = root / layout.AUDIT
    audit.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {
                "line": 2,
                "trial": "CH1998",
                "arm": "SIH",
                "outcome": "retention",
                "measure": "m",
                "timepoint": "12m",
                "events": 20,
                "total": 27,
                "percent_reported": "",
                "status": "reported",
                "source": "PER98",
                "location": "abstract",
                "citation": "Perneger TV et al. BMJ 1998",
                "derivation": "",
                "used_in": "all/x",
            },
        ]
    ).to_csv(audit, index=False)
    inputs["audit"] = str(audit)
    if published:
        comparison = root / layout.PUBLISHED_COMPARISON
        pd.DataFrame(
            [
                {
                    "source": "COCH11",
                    "outcome": "retention",
                    "statistic": "risk ratio",
                    "trials": "DE2007;CA2009;EN2010;ES2006",
                    "trial_set": "as published",
                    "published_estimate": 1.44,
                    "published_lower": 1.19,
                    "published_upper": 1.75,
                    "published_n_studies": 4,
                    "published_n_participants": 1388,
                    "analysis": "retention_all",
                    "n_trials": 4,
                    "n_participants": 1388,
                    "dl_rr": 1.45373,
                    "dl_rr_lower": 1.2,
                    "dl_rr_upper": 1.7,
                    "point": "differs: 1.45 here, 1.44 published",
                    "interval": "differs: 1.20 to 1.70 here, 1.19 to 1.75 published",
                    "missing": "",
                }
            ]
        ).to_csv(comparison, index=False)
        inputs["published"] = str(comparison)
    return inputs


@pytest.fixture
def results(tmp_path, small_settings) -> dict:
    return write_results(tmp_path, small_settings)


PROVENANCE = {
    "date": "2026-01-01",
    "hatmeta_version": "0.0.0",
    "data_version": "0123456789ab",
    "code_version": "abc123",
    "data_files": {"extraction": {"path": "data/raw/extraction.csv", "sha256": "0" * 64}},
    "software": {"pymc": "6"},
}


def context_for(settings, inputs, **kwargs):
    return build_context(
        settings,
        ReportInputs.from_paths(inputs),
        provenance=PROVENANCE,
        config_yaml="analyses: {}\n",
        **kwargs,
    )


def scenario_row(name: str, **values) -> dict:
    """One row of results/sensitivity/scenarios.csv."""
    row = {
        "scenario": name,
        "imor_heroin": 1,
        "imor_methadone": 1,
        "missing_share_heroin": 0.15,
        "missing_share_methadone": 0.58,
        "anchor_reading": "percentage_points",
        "sigma_provide": 1.0,
        "rho": 0.5,
        "usable": True,
        "reason": "",
        "n_heroin": 43,
        "n_methadone": 42,
        "responders_heroin_median": 37,
        "responders_heroin_lower": 34,
        "responders_heroin_upper": 40,
        "responders_methadone_median": 20,
        "responders_methadone_lower": 14,
        "responders_methadone_upper": 30,
        "rd_median": 0.38,
        "rd_lower": 0.1,
        "rd_upper": 0.6,
        "riott_or_median": 4.321,
        "riott_or_lower": 1.5,
        "riott_or_upper": 12.0,
        "riott_p_or_above_1": 0.991,
        "pooled_or_median": 2.5,
        "pooled_or_lower": 1.2,
        "pooled_or_upper": 5.0,
        "pooled_p_benefit": 0.97,
    }
    return row | values


def riott_section(tmp_path, settings, scenarios=None, structural=None) -> dict:
    """The RIOTT section from small synthetic files."""
    rows = scenarios or [scenario_row("missing_at_random")]
    pd.DataFrame(rows).to_csv(tmp_path / "scenarios.csv", index=False)
    pd.DataFrame([{"heroin_scenario": "mar", "imor_riott_ci_includes_1": 2.5}]).to_csv(
        tmp_path / "points.csv", index=False
    )
    pd.DataFrame([{"assumption": "rho", "pooled_conclusion_changes": False}]).to_csv(
        tmp_path / "depends.csv", index=False
    )
    cells = structural or [scenario_row("cell")]
    cells = [{"sigma_provide": 1.0, "rho": 0.5} | cell for cell in cells]
    pd.DataFrame(cells).to_csv(tmp_path / "structural.csv", index=False)
    (tmp_path / "sentence.txt").write_text("The conclusion tips when IMOR exceeds 2.5.\n")
    (tmp_path / "bank.json").write_text(
        json.dumps({"pairs": 416, "checks": {"max_cdf_change_half_tau_grid": 2e-8}})
    )
    for name in ("curve.png", "heat.png", "map.png"):
        (tmp_path / name).write_bytes(PNG_1PX)
    return riott_report.section(
        settings.riott,
        {
            "scenarios": tmp_path / "scenarios.csv",
            "cells": tmp_path / "structural.csv",  # the explorer's grid: any cells will do
            "tipping_points": tmp_path / "points.csv",
            "tipping_map": tmp_path / "map.png",
            "depends_on": tmp_path / "depends.csv",
            "structural": tmp_path / "structural.csv",
            "sentences": tmp_path / "sentence.txt",
            "bank_checks": tmp_path / "bank.json",
            "heatmaps": {("riott", "mar"): tmp_path / "heat.png"},
            "curve": tmp_path / "curve.png",
        },
    )


# --- (a) the context builder -------------------------------------------------------------


def test_summary_of_findings_uses_primary_prior_and_every_evidence_set(small_settings, results):
    fits = {k: read_fit(f) for k, f in ReportInputs.from_paths(results).fits.items()}
    sof = summary_of_findings(small_settings, fits)
    assert list(sof["evidence"].unique()) == list(small_settings.evidence.run)
    assert set(sof["prior"]) == {a.primary_prior for a in small_settings.analyses.values()}
    heroin = sof[(sof["analysis"] == "illicit_heroin") & (sof["evidence"] == "all")].iloc[0]
    assert heroin["or_median"] == pytest.approx(3.1234)
    assert heroin["n_trials"] == 3 and heroin["n_participants"] == 300


def test_changing_a_summary_number_changes_the_html(small_settings, results):
    html = render(context_for(small_settings, results))
    assert "3.12" in html and "3.56" not in html
    prior = small_settings.analysis("illicit_heroin").primary_prior
    (path,) = [p for p in results["fits"] if f"all/illicit_heroin/{prior}/summary.csv" in p]
    summary = pd.read_csv(path)
    summary.loc[summary["quantity"] == "OR", "median"] = 3.5555
    summary.to_csv(path, index=False)
    changed = render(context_for(small_settings, results))
    assert "3.56" in changed


def test_plain_language_paragraph_uses_the_numbers(small_settings, results):
    context = context_for(small_settings, results)
    text = " ".join(s["text"] for s in context["plain_language"])
    assert "3 trials, 300 participants" in text
    assert "3.12, 1.56 to 6.25" in text  # OR and its interval from summary.csv
    assert "about 20 more people per 100" in text  # RD 0.2
    assert "99%" in text  # P(benefit) 0.987
    assert "than with oral methadone" in text  # the control label from the config
    html = render(context)
    plain = html[html.index('id="plain-language"') :]
    assert "3.12, 1.56 to 6.25" in plain[: plain.index("</div>")]


def test_no_data_fit_is_reported_as_such(small_settings, results):
    context = context_for(small_settings, results)
    mortality = next(r for r in context["sof"] if r["analysis"] == "mortality")
    assert [r["status"] for r in mortality["results"]] == ["passed", "no data"]
    assert "no pooled estimate" not in " ".join(
        s["text"] for s in context["plain_language"]
    )  # main set has data


def test_optional_sections_appear_only_when_given(small_settings, tmp_path):
    inputs = write_results(tmp_path / "bare", small_settings, published=False)
    html = render(context_for(small_settings, inputs))
    assert 'id="published"' not in html and 'href="#published"' not in html
    assert 'id="riott"' not in html and "RIOTT" not in html
    with_riott = render(
        context_for(small_settings, inputs, sections=[riott_section(tmp_path, small_settings)])
    )
    assert 'href="#riott"' in with_riott and 'id="riott"' in with_riott


def test_only_declared_inputs_are_read(small_settings, tmp_path):
    """Files the rule does not declare are never shown, whatever lies beside them."""
    inputs = write_results(tmp_path, small_settings, published=False)
    stale = tmp_path / layout.PUBLISHED_COMPARISON
    stale.write_text("source,outcome\nSTALE,retention\n")
    assert "STALE" not in render(context_for(small_settings, inputs))


def test_riott_section_shows_its_files(small_settings, results, tmp_path):
    extra = riott_section(tmp_path, small_settings)
    html = render(context_for(small_settings, results, sections=[extra]))
    part = html[html.index('<section id="riott">') :]
    part = part[: part.index("</section>")]
    assert "4.32" in part and "99%" in part and "tips when IMOR exceeds 2.5" in part
    assert "data:image/png;base64," in part
    assert "37 (34 to 40)" in part  # imputed responders beside every odds ratio
    assert "416 possible pairs" in part
    # the tipping-point map right after the tipping-point table, before the next table
    after = part[part.index("Tipping points along the oral-methadone IMOR") :]
    after = after[: after.index("What the conclusion depends on")]
    assert "The tipping points on the oral-methadone IMOR grid" in after
    assert after.count("data:image/png;base64,") == 1
    assert "Assumptions, each a config setting" in html  # its methods, from the docstring
    assert "ranges/sigma_provide" in html  # every range, from the config


def test_odds_ratios_near_a_boundary_are_bounds_said_in_words(small_settings, tmp_path):
    extreme = scenario_row(
        "best_case_methadone",
        riott_or_median=7e-4,
        riott_or_lower=1.3e-9,
        riott_or_upper=0.098,
        responders_methadone_median=42,
        responders_methadone_lower=40,
        responders_methadone_upper=42,
    )
    wide = scenario_row("cell", riott_or_upper=2400.0, sigma_provide=2.0, rho=0.9)
    extra = riott_section(
        tmp_path, small_settings, [scenario_row("mar"), extreme], [scenario_row("cell"), wide]
    )
    inputs = write_results(tmp_path / "results", small_settings, published=False)
    html = render(context_for(small_settings, inputs, sections=[extra]))
    part = html[html.index('<section id="riott">') :]
    part = part[: part.index("</section>")]
    assert "&lt;0.001 (&lt;0.001 to 0.10)" in part
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", part)
    assert cells and not [c for c in cells if re.search(r"\de[-+]\d", c)]
    words = unescape(part)
    assert "Scenario 'best_case_methadone': RIOTT's odds ratio interval reaches beyond" in words
    assert "oral methadone 42 (40 to 42) of 42" in words
    assert "Scenario 'mar'" not in words
    assert "In 1 of the 2 combinations of structural assumptions" in words
    assert "sigma_provide 2, rho 0.9, heroin missing 15%" in words and "&gt;1000" in part


def test_flagged_fits_are_marked(small_settings, results):
    prior = small_settings.analysis("illicit_heroin").primary_prior
    (summary,) = [p for p in results["fits"] if f"all/illicit_heroin/{prior}/summary.csv" in p]
    write_fit(Path(summary).parent, 3.1234, ["CH1998", "DE2007", "EN2010"], status="flagged")
    context = context_for(small_settings, results)
    assert context["n_flagged"] == 1
    html = render(context)
    assert "FLAGGED" in html and 'class="flagged"' in html
    assert "7 divergences" in html


def test_methods_follow_the_config(small_settings, results):
    html = render(context_for(small_settings, results))
    assert f"target acceptance {small_settings.model.sampler.target_accept}" in html
    model = small_settings.model._replace(
        sampler=small_settings.model.sampler._replace(target_accept=0.95),
        gate=small_settings.model.gate._replace(r_hat_max=1.05),
    )
    html = render(context_for(small_settings._replace(model=model), results))
    assert "target acceptance 0.95" in html and "at most 1.05" in html
    assert "Turner 2015" in html  # the Turner prior resolved per analysis


def test_title_and_labels_come_from_the_config(small_settings, results):
    relabelled = small_settings._replace(
        report=small_settings.report._replace(title="A review of X"),
        comparison=small_settings.comparison._replace(
            treatment_label="drug X", control_label="placebo"
        ),
    )
    html = render(context_for(relabelled, results))
    assert "<h1>A review of X</h1>" in html
    assert "drug X versus placebo" in html and "oral methadone" not in html


def test_provenance_checksums_and_versions(project_settings):
    data = {k: v for k, v in project_settings.data._asdict().items() if v}
    info = provenance(data)
    assert set(info["software"]) >= {
        "python",
        "hatmeta",
        "snakemake",
        "pymc",
        "arviz",
        "nutpie",
        "numpy",
        "pandas",
        "statsmodels",
    }
    assert re.fullmatch(r"[0-9a-f]{64}", info["data_files"]["extraction"]["sha256"])
    assert re.fullmatch(r"[0-9a-f]{12}", info["data_version"])
    assert info["code_version"] != NOT_GIT
    assert info["code_fingerprints"] == {}
    import tomllib

    release = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert info["hatmeta_version"] == info["software"]["hatmeta"] == release
    stages = {"fit": "0123456789abcdef", "report": "fedcba9876543210"}
    assert provenance(data, code=stages)["code_fingerprints"] == stages


def test_git_describe_outside_a_repository(tmp_path):
    assert git_describe(tmp_path) == NOT_GIT


def test_docstring_blocks_keep_literal_blocks_and_items():
    blocks = docstring_blocks(
        "Title line.\n\nThe model\n---------\nCode follows::\n\n    x = 1\n    y = 2\n\n"
        "1. first item\n   continued\n2. second\n"
    )
    kinds = [b["kind"] for b in blocks]
    assert kinds == ["p", "h", "p", "pre", "li", "li"]
    assert blocks[3]["text"] == "x = 1\ny = 2"
    assert blocks[4]["text"] == "first item continued"


# --- (b) HTML validity ----------------------------------------------------------------------


class Structure(HTMLParser):
    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"})

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.ids: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None and not value.startswith(("#", "data:")):
                self.external.append(f"<{tag} {name}={value[:60]}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def test_html_structure(small_settings, results, tmp_path):
    html = render(
        context_for(small_settings, results, sections=[riott_section(tmp_path, small_settings)])
    )
    parser = Structure()
    parser.feed(html)
    parser.close()
    assert html.startswith("<!DOCTYPE html>")
    assert parser.errors == [] and parser.stack == []
    assert parser.counts["h1"] == 1
    for section in (
        "summary",
        "methods",
        "results",
        "published",
        "riott",
        "diagnostics",
        "provenance",
        "appendix-rank",
    ):
        assert section in parser.ids
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    assert parser.external == []
    assert "@media print" in html and "@import" not in html
    # Scripts only inline (the explorer's specification and library): nothing loaded.
    assert not re.search(r"<script[^>]*\bsrc\s*=", html)
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert anchor in parser.ids


# --- (c) a headless browser renders it --------------------------------------------------------


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (apt-get install -y chromium); browser screenshot skipped",
)
def test_report_renders_in_a_headless_browser(small_settings, results, tmp_path):
    from PIL import Image

    page = tmp_path / "report.html"
    write_report(context_for(small_settings, results), page)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists(), "chromium wrote no screenshot"
    image = Image.open(shot)
    assert image.size == (1280, 2000)
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10, "screenshot is blank"
    # The page has text near the top (the title) and is not an error page.
    assert pixels[:150].min() < 100


def add_rates(root: Path, inputs: dict, settings, rated: dict[str, tuple[Path, Path]]) -> None:
    """The rate stage's files of every analysis x evidence set in ``inputs`` (the report rule
    lists them all): for the analyses in ``rated``, its files (summary, diagnostics), their
    binomial fits made 'not modelled' with the rate fit's counts; 'not a rate outcome' for the
    others."""
    inputs["rates"] = []
    for evidence in settings.evidence.run:
        for name in settings.analyses:
            rates = root / layout.fill(layout.RATES, evidence=evidence, analysis=name)
            diagnostics = root / layout.fill(
                layout.RATES_DIAGNOSTICS, evidence=evidence, analysis=name
            )
            rates.parent.mkdir(parents=True, exist_ok=True)
            inputs["rates"] += [str(rates), str(diagnostics)]
            if name not in rated:
                pd.DataFrame([{"quantity": "status", "note": "participants"}]).to_csv(rates)
                diagnostics.write_text(json.dumps({"status": "not a rate outcome"}))
                continue
            shutil.copy(rated[name][0], rates)
            shutil.copy(rated[name][1], diagnostics)
            record = json.loads(diagnostics.read_text())["evidence"]
            for prior in settings.priors:
                files = layout.fit_files(evidence, name, prior)
                pd.DataFrame([{"quantity": "status", "note": "not modelled"}]).to_csv(
                    root / files.summary, index=False
                )
                (root / files.diagnostics).write_text(
                    json.dumps({"status": "not modelled", "note": "events", "evidence": record})
                )


def rewrite_fit(root: Path, inputs: dict, analysis: str, **changes) -> None:
    """Rewrite the main-evidence, primary-prior fit of ``analysis`` in ``inputs``."""
    for fit in layout.fits_index(inputs["fits"]).items():
        (evidence, name, _), files = fit
        if name == analysis and evidence == "all":
            write_fit(root / Path(files.summary).relative_to(root).parent, **changes)


def test_sparse_data_gives_counts_not_probabilities(small_settings, tmp_path):
    inputs = write_results(tmp_path, small_settings, published=False)
    rewrite_fit(tmp_path, inputs, "mortality", or_median=0.26, trials=["CA2009"], events=1)
    context = context_for(small_settings, inputs)
    mortality = context["sof_frame"].query("analysis == 'mortality' and evidence == 'all'")
    row = mortality.iloc[0]
    assert row["status"] == "insufficient evidence" and np.isnan(row["p_benefit"])
    assert row["reason"] == "1 trial (fewer than 2) and 1 event (fewer than 10)"
    html = unescape(render(context))
    part = html[html.index('id="analysis-mortality"') :]
    assert "insufficient evidence" in part[:2000] and "0.26" not in part[:3000]
    assert any(
        "Mortality (1 trial" in s["text"] and "insufficient evidence" in s["text"]
        for s in context["plain_language"]
    )


def test_mixed_definitions_give_an_odds_ratio_only(small_settings, tmp_path):
    inputs = write_results(tmp_path, small_settings, published=False)
    why = "the trials define the outcome differently (a, b), so no single baseline risk applies"
    for (_evidence, name, _), files in layout.fits_index(inputs["fits"]).items():
        if name == "illicit_heroin":
            path = Path(files.diagnostics)
            diagnostics = json.loads(path.read_text())
            diagnostics["evidence"]["no_absolute_measures"] = why
            path.write_text(json.dumps(diagnostics))
            summary = pd.read_csv(files.summary)
            summary[~summary["quantity"].isin(["RR", "RD", "baseline_risk"])].to_csv(
                files.summary, index=False
            )
    context = context_for(small_settings, inputs)
    html = unescape(render(context))
    sof = html[html.index('id="summary"') : html.index('id="plain-language"')]
    heroin = sof[sof.index("Illicit") : sof.index("Mortality")]
    assert why in heroin and "1.50" not in heroin  # the RR in the summary files is 1.5
    sentence = next(
        s["text"] for s in context["plain_language"] if s["analysis"] == "illicit_heroin"
    )
    assert "odds of the outcome" in sentence and "per 100" not in sentence and why in sentence


def test_an_analysis_that_adds_nothing_says_so(project_settings, tmp_path):
    names = ("illicit_heroin", "illicit_heroin_with_nl")
    analyses = {k: project_settings.analyses[k] for k in names}
    settings = project_settings._replace(
        analyses=analyses, model=project_settings.model._replace(analyses=analyses)
    )
    inputs = write_results(tmp_path, settings, published=False)
    html = unescape(render(context_for(settings, inputs)))
    part = html[html.index('id="analysis-illicit_heroin_with_nl"') :]
    assert "Adds nothing over" in part[:1500] and "Forest plot" not in part[:3000]


def test_published_comparison_separates_point_and_interval(small_settings, results):
    html = unescape(render(context_for(small_settings, results)))
    part = html[html.index('<section id="published">') :]
    assert "differs: 1.45 here, 1.44 published" in part
    assert "differs: 1.20 to 1.70 here, 1.19 to 1.75 published" in part


def test_counts_of_events_show_the_rate_model_and_published_results(project_settings, tmp_path):
    """An analysis of events shows the rate model (rate ratio, rates per 100 person-years, the
    approximation) instead of 'not modelled', and every analysis shows the published pooled
    results of its outcome as published."""
    from hatmeta.bayes.rates import describe_exposure, exposures

    analyses = {k: project_settings.analyses[k] for k in ("illicit_heroin", "mortality", "sae")}
    settings = project_settings._replace(
        analyses=analyses, model=project_settings.model._replace(analyses=analyses)
    )
    inputs = write_results(tmp_path, settings)
    for evidence in settings.evidence.run:
        for prior in settings.priors:
            files = layout.fit_files(evidence, "sae", prior)
            record = evidence_record(["DE2007", "CA2009"], 142) | {"units": ["events"]}
            (tmp_path / files.diagnostics).write_text(
                json.dumps({"status": "not modelled", "note": "events", "evidence": record})
            )
    arms = exposures(
        pd.DataFrame(
            {
                "trial": ["DE2007", "DE2007"],
                "role": ["treatment", "control"],
                "total": [515, 500],
                "timepoint": ["12 months", "12 months"],
            }
        )
    )
    inputs["rates"] = []
    for evidence in settings.evidence.run:
        for name in settings.analyses:
            rates = tmp_path / layout.fill(layout.RATES, evidence=evidence, analysis=name)
            diagnostics = tmp_path / layout.fill(
                layout.RATES_DIAGNOSTICS, evidence=evidence, analysis=name
            )
            inputs["rates"] += [str(rates), str(diagnostics)]
            if name != "sae":
                pd.DataFrame([{"quantity": "status", "note": "participants"}]).to_csv(rates)
                diagnostics.write_text(json.dumps({"status": "not a rate outcome"}))
                continue
            basis = "control arms pooled: 33 events / 611 person-years"
            pd.DataFrame(
                [
                    ("rate_ratio", 3.1633, 1.5558, 6.3745, 3.3, "ratio", ""),
                    ("P(rate_ratio > 1)", None, None, None, 0.9944, "probability", ""),
                    ("rate_ratio_new_trial", 3.18, 1.02, 9.78, 3.8, "ratio", ""),
                    ("tau", 0.26, 0.01, 0.94, 0.3, "log rate ratio", ""),
                    (
                        "rate_control",
                        5.401,
                        None,
                        None,
                        5.401,
                        "events per 100 person-years",
                        basis,
                    ),
                    (
                        "rate_treatment",
                        17.08,
                        8.40,
                        34.43,
                        18.1,
                        "events per 100 person-years",
                        basis,
                    ),
                    (
                        "rate_difference",
                        11.68,
                        3.00,
                        29.03,
                        12.7,
                        "events per 100 person-years",
                        basis,
                    ),
                ],
                columns=["quantity", "median", "lower", "upper", "mean", "scale", "note"],
            ).to_csv(rates, index=False)
            diagnostics.write_text(
                json.dumps(
                    {
                        "status": "passed",
                        "draws": 2000,
                        "chains": 4,
                        "min_ess_bulk": 1617.8,
                        "min_ess_tail": 1971.0,
                        "max_r_hat": 1.0017,
                        "divergences": 0,
                        "n_trials": 2,
                        "prior": "half-normal(0.5) on tau",
                        "evidence": record,
                        **describe_exposure(arms),
                    }
                )
            )
    inputs["published_effects"] = str(ROOT_DATA / "published_effects.csv")
    html = unescape(render(context_for(settings, inputs)))
    sae = html[html.index('id="analysis-sae"') :]
    sae = sae[: sae.index("</section>")]
    assert "not modelled by the binomial model" in sae and "No pooled estimate" not in sae
    assert "rate model</span>" in sae  # the badge says what is shown
    assert "3.16 (1.56 to 6.37)" in sae and "99%" in sae
    assert "5.4" in sae and "17.1 (8.4 to 34.4)" in sae and "11.7 (3 to 29)" in sae
    assert "Person-time is approximated" in sae and "515 participants x 1 year(s)" in sae
    assert "13.5" in sae and "COCH11" in sae  # Cochrane 2011's pooled risk ratio beside it
    mortality = html[html.index('id="analysis-mortality"') :]
    mortality = mortality[: mortality.index("</section>")]
    assert "0.65 (0.25 to 1.69)" in mortality and "1477" in mortality
    assert "16 deaths: 6 SIH and 10 OMMT" in mortality
    assert "rate ratio" not in mortality.lower()


def test_published_results_show_their_note_and_a_limit_not_read(small_settings, results):
    frame = pd.read_csv(results["published"])
    frame["note"] = "Pooled: three studies; differs from ours: counts participants"
    extra = frame.iloc[0].to_dict() | {
        "statistic": "odds ratio",
        "published_estimate": 13.5,
        "published_lower": 2.5,
        "published_upper": float("nan"),
        "note": "Pooled in a network of 24 trials",
    }
    pd.concat([frame, pd.DataFrame([extra])]).to_csv(results["published"], index=False)
    html = unescape(render(context_for(small_settings, results)))
    part = html[html.index('<section id="published">') :]
    part = part[: part.index("</section>")]
    assert "Pooled: three studies; differs from ours: counts participants" in part
    assert "Pooled in a network of 24 trials" in part
    assert "odds ratio 13.5" in part and "to not read)" in part


def test_the_studies_section_shows_characteristics_matrix_and_flow(small_settings, results):
    from hatmeta.plots import flow_plot, save
    from hatmeta.report.studies import section

    root = Path(results["audit"]).parent
    counts = pd.DataFrame(
        {
            "stage": ["trials known", "with usable counts", "in Retention"],
            "analysis": ["", "", "retention"],
            "n_trials": [3, 2, 1],
            "trials": ["A1; B2; C3", "A1; B2", "A1"],
        }
    )
    paths = {
        "characteristics": root / "characteristics.csv",
        "matrix": root / "matrix.csv",
        "counts": root / "counts.csv",
        "figure": root / "flow.png",
    }
    pd.DataFrame(
        {"trial": ["A1", "B2", "C3"], "country": ["X", "Y", "Z"], "route": ["r1", "r2", "r1"]}
    ).to_csv(paths["characteristics"], index=False)
    pd.DataFrame(
        {"trial": ["A1", "B2", "C3"], "retention": ["included", "route r2, not selected", ""]}
    ).to_csv(paths["matrix"], index=False)
    counts.to_csv(paths["counts"], index=False)
    save(flow_plot(counts), paths["figure"])
    extra = section({k: str(v) for k, v in paths.items()}, "all")
    html = unescape(render(context_for(small_settings, results, sections=[extra])))
    part = html[html.index('<section id="studies">') :]
    part = part[: part.index("</section>")]
    assert "3 trials are known; with usable counts: 2; in Retention: 1 (evidence set all)." in part
    assert "route r2, not selected" in part and "<td>C3</td>" in part
    assert "data:image/png;base64," in part
    assert '<a href="#studies">' in html


def test_the_report_imports_no_statistics_library():
    # The report shows the stages' results and their rules' text; it computes no statistic, and
    # scipy.stats, scipy.optimize and statsmodels were 0.6 s of every report job's start-up.
    code = (
        "import sys, hatmeta.report.render, hatmeta.report.studies, hatmeta.riott.report;"
        "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'statsmodels')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
