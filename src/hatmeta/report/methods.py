"""The report's methods section, generated from the config, and docstrings as text blocks (for
the report) or Markdown (for the notebooks)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hatmeta.figures import prior_labels

if TYPE_CHECKING:
    from hatmeta.config import Settings


def _blocks(text: str) -> list[dict[str, str]]:
    """A numpydoc-style docstring as headings, paragraphs and literal blocks, inline markup
    (``literal``, :role:`target`, *emphasis*) left as it is."""
    blocks: list[dict[str, str]] = []
    lines = (text or "").strip("\n").splitlines()
    paragraph: list[str] = []
    literal: list[str] = []
    in_literal = False

    def flush():
        nonlocal paragraph
        if paragraph:
            body = " ".join(line.strip() for line in paragraph)
            blocks.append({"kind": "p", "text": body[:-1] if body.endswith("::") else body})
            paragraph = []

    i = 0
    while i < len(lines):
        line = lines[i]
        if in_literal:
            if line.strip() and not line.startswith(" "):
                blocks.append({"kind": "pre", "text": "\n".join(literal).strip("\n")})
                literal, in_literal = [], False
                continue
            literal.append(line[4:] if line.startswith("    ") else line)
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", nxt.strip()):
            flush()
            blocks.append({"kind": "h", "text": line.strip()})
            i += 2
            continue
        if not line.strip():
            flush()
        else:
            if re.match(r"\s*\d+\.\s", line):
                flush()  # a numbered item starts its own paragraph
            paragraph.append(line)
            if line.rstrip().endswith("::"):
                flush()
                in_literal = True
        i += 1
    if in_literal and literal:
        blocks.append({"kind": "pre", "text": "\n".join(literal).strip("\n")})
    flush()
    return blocks


def docstring_blocks(text: str) -> list[dict[str, str]]:
    """Split a numpydoc-style docstring into headings, paragraphs, numbered items and literal
    blocks of plain text."""
    blocks = _blocks(text)
    # Inline literals: ``x`` -> x (the template escapes text; code styling is not needed).
    for block in blocks:
        if block["kind"] != "pre":
            block["text"] = re.sub(r"``(.+?)``", r"\1", block["text"])
            block["text"] = re.sub(r":\w+:`(.+?)`", r"\1", block["text"])
            block["text"] = re.sub(r"\*(\S.*?)\*", r"\1", block["text"])
            item = re.match(r"(\d+)\.\s+(.*)", block["text"])
            if block["kind"] == "p" and item:
                block.update(kind="li", number=item.group(1), text=item.group(2))
    return blocks


def docstring_markdown(text: str, heading: str = "###") -> str:
    """A numpydoc-style docstring as Markdown: its section headings at level ``heading``, its
    literal blocks fenced, ``literal`` and :role:`target` as code; paragraphs and numbered items
    as they are (Markdown reads them)."""
    parts = []
    for block in _blocks(text):
        if block["kind"] == "pre":
            parts.append(f"```text\n{block['text']}\n```")
            continue
        body = re.sub(r"``(.+?)``", r"`\1`", block["text"])
        body = re.sub(r":\w+:`(.+?)`", r"`\1`", body)
        parts.append(f"{heading} {body}" if block["kind"] == "h" else body)
    return "\n\n".join(parts) + "\n"


def prior_table(settings: Settings) -> list[dict[str, Any]]:
    """Every heterogeneity prior as resolved for every analysis, primary marked."""
    rows = []
    for name, analysis in settings.analyses.items():
        labels = prior_labels(analysis, settings.priors, settings.model.turner_comparison)
        rows.append(
            {
                "analysis": name,
                "priors": [
                    {"name": prior, "label": label, "primary": prior == analysis.primary_prior}
                    for prior, label in labels.items()
                ],
            }
        )
    return rows


def _trial_rule(analysis) -> str:
    """The analysis's trials as configured: its list and its attribute selection."""
    parts = [", ".join(analysis.trials)] if analysis.trials else ["every trial of the trials table"]
    for word, rule in (("selecting", analysis.select), ("excluding", analysis.exclude)):
        if rule:
            parts.append(f"{word} " + "; ".join(f"{k}: {', '.join(v)}" for k, v in rule))
    return ", ".join(parts)


def methods(settings: Settings) -> dict[str, Any]:
    """Everything the methods section states, taken from the config."""
    evidence = settings.evidence
    model = settings.model
    return {
        "evidence_sets": [
            {
                "name": name,
                "statuses": ", ".join(statuses),
                "run": name in evidence.run,
                "main": name == evidence.main,
            }
            for name, statuses in evidence.sets.items()
        ],
        "analyses": [
            {
                "name": name,
                "title": a.title,
                "outcome": a.outcome.name,
                "event": a.outcome.event,
                "higher_is_better": a.outcome.higher_is_better,
                "measures": ", ".join(a.measures),
                "trials": _trial_rule(a),
                "note": a.note,
            }
            for name, a in settings.analyses.items()
        ],
        "treatment_arm": settings.comparison.treatment_arm,
        "control_arms": ", ".join(settings.comparison.control_arms),
        "effect_sd": model.effect_sd,
        "baseline_sd": model.baseline_sd,
        "priors": prior_table(settings),
        "relevant_or": model.relevant_or,
        "sampler": model.sampler._asdict(),
        "diagnostics": model.gate._asdict(),
    }
