"""Docstrings shown to readers: as text blocks for the report's templates, as Markdown for the
notebooks. Models are described once, in their modules' numpydoc docstrings, and read where
they are shown (the report's methods, the reviewing notebooks).

Apart from the report package so that a notebook showing a docstring is re-run by the workflow
when this code changes, not whenever the report's does.
"""

from __future__ import annotations

import re


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
