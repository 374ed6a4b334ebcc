"""The report's GRADE summary of findings: from a certainty table to the HTML, the CSV, the
methods; and the mended details (audit cites by key, words for booleans, spacing)."""

from __future__ import annotations

import math
from html import unescape

import pandas as pd
import pytest
from certainty_data import THREE, draws, fit_inputs
from report_checks import disagreements, stated
from test_report import add_rates, context_for, rewrite_fit, write_results

from hatmeta import layout
from hatmeta.certainty.assess import certainty_table
from hatmeta.config import Override
from hatmeta.report.format import fmt_number, table
from hatmeta.report.grade import SOF_COLUMNS, sof_frame
from hatmeta.report.render import render

REASON = "the panel judges the definitions close enough"


@pytest.fixture
def graded(project_settings, tmp_path):
    analyses = {k: project_settings.analyses[k] for k in ("illicit_heroin", "mortality")}
    settings = project_settings._replace(
        analyses=analyses, model=project_settings.model._replace(analyses=analyses)
    )
    overrides = {"illicit_heroin": {"indirectness": Override(0, REASON)}}
    certainty = settings.certainty._replace(analyses=analyses, overrides=overrides)
    settings = settings._replace(certainty=certainty)
    fits = {
        "illicit_heroin": fit_inputs(THREE, draws(math.log(2.5), 0.1), tau=0.7, baseline=0.2),
        "mortality": fit_inputs(THREE.head(1), draws(0.1, 0.8), status="passed", baseline=0.01),
    }
    frame, _ = certainty_table(certainty, fits, None)
    inputs = write_results(tmp_path, settings)
    # The report's fits are those the certainty table rated: mortality has one trial.
    rewrite_fit(tmp_path, inputs, "mortality", or_median=0.9, trials=["A"], events=30)
    path = tmp_path / layout.fill(layout.CERTAINTY, evidence="all")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    inputs["certainty"] = str(path)
    return settings, inputs, pd.read_csv(path)


def test_the_report_opens_with_the_grade_table(graded):
    settings, inputs, frame = graded
    html = render(context_for(settings, inputs))
    grade = unescape(html[html.index('id="grade"') : html.index('id="summary"')])
    assert html.index('id="grade"') < html.index('id="summary"') < html.index('id="methods"')
    heroin = frame.set_index("analysis").loc["illicit_heroin"]
    assert heroin["symbols"] in grade and heroin["certainty"] in grade
    assert heroin["risk_difference"] in grade and heroin["statement"] in grade
    assert f"overridden by the panel: {REASON}" in grade  # the override, never silently
    assert "Inconsistency: serious. Posterior median tau 0.70" in grade
    assert "not estimated (insufficient evidence" in grade  # mortality: one trial
    assert "follow-up 12 months" in grade
    assert "Risk of bias: not assessed: no risk-of-bias judgements given" in grade


def test_summary_of_findings_csv_has_grade_columns(graded):
    settings, inputs, frame = graded
    context = context_for(settings, inputs)
    sof = context["grade_frame"]
    assert list(sof.columns) == SOF_COLUMNS
    row = sof.set_index("analysis").loc["illicit_heroin"]
    assert row["certainty"].endswith(frame.set_index("analysis").at["illicit_heroin", "certainty"])
    assert row["risk_with_control"].startswith("200 per 1000")
    assert "1. " in row["footnotes"] and "Rule:" in row["footnotes"]
    # each row's footnotes in the order of the domains, numbered from 1
    notes = row["footnotes"].split(" | ")
    assert [n.split(". ", 1)[0] for n in notes] == [str(i) for i in range(1, len(notes) + 1)]
    assert notes[-1].startswith(f"{len(notes)}. Publication bias")
    # the CSV is the table shown: the certainty rows with the report's results
    assert sof_frame(frame, context["results"]).equals(sof)


def test_methods_state_every_certainty_rule_from_the_config(graded):
    settings, inputs, _ = graded
    changed = settings._replace(
        certainty=settings.certainty._replace(tau_serious=0.42, publication_min_trials=12)
    )
    html = unescape(render(context_for(changed, inputs)))
    methods = html[html.index('id="certainty-methods"') :]
    assert "above 0.42" in methods and "with 12 trials or more" in methods
    assert f"illicit_heroin, indirectness: level 0 ({REASON})" in methods


def test_without_a_certainty_table_the_report_says_so(project_settings, tmp_path):
    analyses = {k: project_settings.analyses[k] for k in ("illicit_heroin", "mortality")}
    settings = project_settings._replace(
        analyses=analyses, model=project_settings.model._replace(analyses=analyses)
    )
    html = render(context_for(settings, write_results(tmp_path, settings)))
    assert "No certainty table was given" in html


def test_audit_cites_by_key_with_one_bibliography(graded):
    settings, inputs, _ = graded
    html = render(context_for(settings, inputs))
    audit = html[html.index("<h3>Extraction audit</h3>") :]
    assert audit.count("Perneger TV et al. BMJ 1998") == 1
    assert 'href="#bib-PER98"' in audit and 'id="bib-PER98"' in audit


def test_booleans_are_words_and_sentences_are_spaced():
    assert fmt_number(True) == "yes" and fmt_number(False) == "no"
    cells = table(pd.DataFrame({"usable": [True, False]}))["rows"]
    assert cells == [["yes"], ["no"]]


def test_no_sentence_runs_into_the_next(graded):
    settings, inputs, _ = graded
    html = render(context_for(settings, inputs))
    text = unescape(html)
    assert ").Cross-check" not in text and "Cross-check:" in text


def test_html_with_the_grade_table_is_well_formed(graded):
    import re

    from test_report import Structure

    settings, inputs, _ = graded
    html = render(context_for(settings, inputs))
    parser = Structure()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert anchor in parser.ids
    assert {"grade", "certainty-methods", "fn-1"} <= set(parser.ids)


def test_a_count_of_events_is_rated_in_the_grade_table_and_csv(project_settings, tmp_path):
    from certainty_data import rate_fit

    analyses = {k: project_settings.analyses[k] for k in ("illicit_heroin", "sae")}
    settings = project_settings._replace(
        analyses=analyses, model=project_settings.model._replace(analyses=analyses)
    )
    certainty = settings.certainty._replace(analyses=analyses, overrides={})
    settings = settings._replace(certainty=certainty)
    rates, not_modelled = rate_fit(tmp_path, [("DE2007", 58, 515, 15, 500),
                                              ("CA2009", 51, 115, 18, 111)],
                                   log_rr=(math.log(3.2), 0.35))  # fmt: skip
    fits = {"illicit_heroin": fit_inputs(THREE, draws(math.log(2.5), 0.1)), "sae": not_modelled}
    frame, _ = certainty_table(certainty, fits, None, {"sae": rates})
    inputs = write_results(tmp_path, settings)
    add_rates(
        tmp_path, inputs, settings, {"sae": (tmp_path / "rates.csv", tmp_path / "rates.json")}
    )
    path = tmp_path / layout.fill(layout.CERTAINTY, evidence="all")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    inputs["certainty"] = str(path)
    context = context_for(settings, inputs)
    html = unescape(render(context))
    grade = html[html.index('id="grade"') : html.index('id="summary"')]
    row = pd.read_csv(path).set_index("analysis").loc["sae"]
    ratio = rates.summary.loc["rate_ratio"]
    relative = f"Rate ratio {ratio['median']:.2f} ({ratio['lower']:.2f} to {ratio['upper']:.2f})"
    assert relative in grade and row["symbols"] in grade
    assert row["control_rate_text"] in grade and "events per 100 person-years" in grade
    assert "control arms pooled: 33 events / 611 person-years" in grade
    assert f"rate with SIH: {row['risk_with_intervention']}" in grade
    assert row["risk_difference"] in grade and row["statement"] in grade
    assert "Indirectness: serious. Person-time approximated" in grade
    sof = context["grade_frame"].set_index("analysis").loc["sae"]
    assert sof["relative_effect"] == relative and sof["certainty"].endswith(row["certainty"])
    # the Bayesian detail and the plain-language box state the same rate ratio
    assert set(stated(html)["sae"]) == {"grade", "bayes", "plain"}
    assert disagreements(html) == []
    assert sof["risk_with_control"].startswith(row["control_rate_text"])
    assert sof["risk_difference"] == row["risk_difference"]


NO_COUNTS = "no per-arm counts (events and total) in the sheet; statuses: reported"


def sensitivity_run(project_settings, tmp_path, added: list[str], matrix: bool = True):
    """A primary analysis (illicit_heroin), its sensitivity analysis (illicit_heroin_with_nl)
    whose fit pools the primary's trials plus ``added``, and another outcome; with the trial x
    analysis matrix saying why NL2003 has no usable counts (``matrix``)."""
    names = ("illicit_heroin", "illicit_heroin_with_nl", "mortality")
    analyses = {k: project_settings.analyses[k] for k in names}
    certainty = project_settings.certainty._replace(analyses=analyses)
    settings = project_settings._replace(
        analyses=analyses,
        model=project_settings.model._replace(analyses=analyses),
        certainty=certainty,
    )
    fit = fit_inputs(THREE, draws(math.log(2.5), 0.1), tau=0.7, baseline=0.2)
    frame, _ = certainty_table(certainty, dict.fromkeys(names, fit), None)
    inputs = write_results(tmp_path, settings)
    trials = ["CH1998", "DE2007", "EN2010"]
    rewrite_fit(tmp_path, inputs, "illicit_heroin_with_nl", or_median=3.1234, trials=trials + added)
    path = tmp_path / layout.fill(layout.CERTAINTY, evidence="all")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    inputs["certainty"] = str(path)
    if matrix:
        flow = pd.DataFrame(
            {
                "trial": [*trials, "NL2003"],
                "illicit_heroin": ["included"] * 3 + ["not in the analysis's trial list"],
                "illicit_heroin_with_nl": ["included"] * 3
                + ["included" if "NL2003" in added else NO_COUNTS],
                "mortality": ["included"] * 4,
            }
        )
        inputs["flow_matrix"] = str(tmp_path / "trial_flow.csv")
        flow.to_csv(inputs["flow_matrix"], index=False)
    return settings, inputs, frame


def test_an_analysis_after_the_first_of_its_outcome_is_labelled_a_sensitivity_analysis(
    project_settings, tmp_path
):
    """The first analysis of an outcome is its primary one; every later one that pools other
    trials is shown in the summary of findings (HTML and CSV) as a sensitivity analysis of
    it."""
    settings, inputs, frame = sensitivity_run(project_settings, tmp_path, ["NL2003"])
    primary_title = settings.analyses["illicit_heroin"].title
    assert frame.set_index("analysis")["sensitivity_of"].to_dict() == {
        "illicit_heroin": "",
        "illicit_heroin_with_nl": primary_title,
        "mortality": "",
    }
    sof = sof_frame(frame).set_index("analysis")["outcome"]
    assert sof["illicit_heroin_with_nl"].endswith(f"(sensitivity analysis of: {primary_title})")
    assert "sensitivity" not in sof["illicit_heroin"] + sof["mortality"]
    context = context_for(settings, inputs)
    html = unescape(render(context))
    grade = html[html.index('id="grade"') : html.index('id="summary"')]
    assert grade.count(f"Sensitivity analysis of: {primary_title}") == 1
    assert 'data-analysis="illicit_heroin_with_nl"' in grade and "changes nothing" not in grade
    assert "illicit_heroin_with_nl" in set(context["grade_frame"]["analysis"])
    section = html[html.index('id="analysis-illicit_heroin_with_nl"') :]
    assert "Adds nothing over" not in section[:1500] and "Forest plot" in section[:6000]


@pytest.mark.parametrize("matrix", [True, False], ids=["with_matrix", "without_matrix"])
def test_a_sensitivity_analysis_of_the_same_trials_is_a_note_not_a_row(
    project_settings, tmp_path, matrix
):
    """A sensitivity analysis whose fit pools exactly its primary analysis's trials gets no row
    of its own (HTML and CSV): the primary's row says what it would add and why that changes
    nothing."""
    settings, inputs, _ = sensitivity_run(project_settings, tmp_path, [], matrix)
    title = settings.analyses["illicit_heroin_with_nl"].title
    context = context_for(settings, inputs)
    html = unescape(render(context))
    grade = html[html.index('id="grade"') : html.index('id="summary"')]
    assert 'data-analysis="illicit_heroin_with_nl"' not in grade
    assert "Sensitivity analysis of:" not in grade
    if matrix:
        said = (
            f'Sensitivity analysis "{title}": adding NL2003 changes nothing: no usable counts '
            f"(NL2003: {NO_COUNTS})"
        )
    else:
        said = f'Sensitivity analysis "{title}" changes nothing: the trials it adds have no usable'
    primary = grade[grade.index('data-analysis="illicit_heroin"') :]
    assert said in primary[: primary.index("</tr>")]
    csv = context["grade_frame"].set_index("analysis")
    assert "illicit_heroin_with_nl" not in csv.index
    assert said in csv.at["illicit_heroin", "comments"]
    assert "changes nothing" not in csv.at["mortality", "comments"]
    section = html[html.index('id="analysis-illicit_heroin_with_nl"') :]
    assert "Adds nothing over" in section[:1500]
