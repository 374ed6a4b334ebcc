"""Assemble the self-contained HTML report: build one context, render one Jinja template.

Every number the report shows comes from a file its rule declares (:class:`ReportInputs`) or
from the config. Optional stages (published reproduction, a review-specific sensitivity
analysis) appear only when their inputs are given: their section, their contents entry and
their methods.

The template lives inside the package so that :func:`render` works wherever the package is
imported (tests, notebooks); the report rule lists it as an input so that editing it re-runs the
report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from hatmeta.io import write_text
from hatmeta.report.format import column_widths, fmt_number, fmt_prob, fmt_ratio, records
from hatmeta.report.grade import certainty_rules, grade_rows, sof_frame
from hatmeta.report.methods import methods
from hatmeta.report.results import (
    NOT_SHOWN,
    ReportInputs,
    read_fit,
    read_rates,
    results_table,
    summary_analyses,
)
from hatmeta.report.sections import (
    analysis_sections,
    audit_bibliography,
    audit_rows,
    diagnostics_rows,
    published_rows,
    rank_plots,
    sof_rows,
)
from hatmeta.report.sensitivity import notes, read_matrix, unchanged
from hatmeta.report.text import plain_language

if TYPE_CHECKING:
    from hatmeta.config import Settings

#: The files this module reads at run time, for the code fingerprint (:mod:`hatmeta.codeprint`).
__package_data__ = ("templates/*",)
TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "report.html.j2"
TEMPLATE = TEMPLATE_DIR / TEMPLATE_NAME


def build_context(
    settings: Settings,
    inputs: ReportInputs,
    *,
    provenance: Mapping[str, Any],
    config_yaml: str,
    sections: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Everything the report shows, as one dictionary (see the template for its use).

    Parameters
    ----------
    settings
        The run's typed settings.
    inputs
        The result files the report rule declares.
    provenance
        From :func:`hatmeta.report.provenance.provenance`.
    config_yaml
        The configuration as run, shown verbatim.
    sections
        Sections of optional review-specific stages (e.g. :func:`hatmeta.riott.report.section`).
    """
    fits = {key: read_fit(files) for key, files in inputs.fits.items()}
    rates = {key: read_rates(files) for key, files in inputs.rates.items()}
    evidence_sets = list(settings.evidence.run)
    main = settings.evidence.main
    # One result per analysis and evidence set: every part of the report states these.
    results = results_table(settings, fits, rates)
    sof = results[results["analysis"].isin(summary_analyses(settings.analyses))]
    sof = sof.reset_index(drop=True)
    by_analysis = {r["analysis"]: r for r in records(results[results["evidence"] == main])}
    # Sensitivity analyses that pool their primary analysis's trials get a note, not a row.
    copies = unchanged(settings, fits, main)
    unchanged_notes = notes(settings, copies, read_matrix(inputs.flow_matrix))
    treatment, control = settings.comparison.treatment_label, settings.comparison.control_label
    diagnostics = diagnostics_rows(settings, fits)
    published = None if inputs.published is None else pd.read_csv(inputs.published)
    certainty = pd.read_csv(inputs.certainty) if inputs.certainty else None
    grade, grade_notes = (
        ([], [])
        if certainty is None
        else grade_rows(certainty, results=by_analysis, unchanged=unchanged_notes)
    )
    return {
        "title": settings.report.title,
        "evidence_sets": evidence_sets,
        "main_evidence": main,
        "treatment": treatment,
        "control": control,
        "grade": grade,
        "grade_notes": grade_notes,
        "grade_frame": None
        if certainty is None
        else sof_frame(certainty, by_analysis, unchanged_notes),
        "certainty_rules": certainty_rules(
            settings.certainty,
            settings.data.risk_of_bias is not None or settings.data.rob2_answers is not None,
        ),
        "results": by_analysis,
        "sof": sof_rows(sof, evidence_sets),
        "sof_frame": sof,
        "not_shown": NOT_SHOWN,
        "sparse": settings.sparse_data,
        "plain_language": plain_language(sof, main, treatment, control),
        "methods": methods(settings),
        "analyses": analysis_sections(settings, inputs, fits, certainty, copies),
        "published": None if published is None else published_rows(published),
        "sections": [fitted(section) for section in sections],
        "diagnostics": diagnostics,
        "n_flagged": sum(r["status"] == "flagged" for r in diagnostics),
        "rank_plots": rank_plots(settings, inputs, fits),
        "audit": audit_rows(inputs.audit),
        "bibliography": audit_bibliography(inputs.audit),
        "provenance": dict(provenance),
        "config_yaml": config_yaml,
    }


def fitted(section: Mapping[str, Any]) -> dict[str, Any]:
    """A section whose tables each carry column widths (:func:`column_widths`, unless given),
    so that the template lays them out to fit the text column."""
    tables = [
        {"widths": column_widths(t["header"], t["rows"])} | dict(t)
        for t in section.get("tables", [])
    ]
    return dict(section) | {"tables": tables}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ratio"] = fmt_ratio
    env.filters["prob"] = fmt_prob
    env.filters["num"] = fmt_number
    return env


def render(context: Mapping[str, Any], template: str = TEMPLATE_NAME) -> str:
    """The report's HTML."""
    return environment().get_template(template).render(**context)


def write_report(context: Mapping[str, Any], path: str | Path) -> None:
    """Render and write atomically."""
    write_text(render(context), path)
