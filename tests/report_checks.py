"""What each part of a rendered report states about each analysis's result, to compare them.

The summary of findings (GRADE), the Bayesian detail table and the plain-language box each say
something about every analysis they show; :func:`disagreements` lists where they do not say the
same thing: a different estimate or interval, another effect measure, or an estimate in one
part where another says there is none.
"""

from __future__ import annotations

import re
from html import unescape

#: The summary of findings' relative effect: "OR 3.11 (1.36 to 8.54)", "Rate ratio 3.17 (...)",
#: or "not estimated (insufficient evidence; see comments)".
ESTIMATE = re.compile(r"^(OR|Rate ratio) (\S+) \((\S+) to (\S+)\)$")
NOT_ESTIMATED = re.compile(r"^not estimated \(([^;]+);")
#: How the plain-language text names each measure.
IN_WORDS = {"OR": "odds", "Rate ratio": "rate ratio"}


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def main_evidence(html: str) -> str:
    return re.search(r"main evidence set <strong>([^<]+)</strong>", html).group(1)


def stated(html: str) -> dict[str, dict[str, str]]:
    """Per analysis, the text each part gives its result in the main evidence set: ``grade``
    (the summary of findings' relative effect), ``bayes`` (the Bayesian detail's relative
    effect, or its status) and ``plain`` (its plain-language sentence)."""
    grade = html[html.index('<section id="grade">') : html.index('<section id="summary">')]
    summary = html[html.index('<section id="summary">') : html.index('<section id="methods">')]
    main = re.escape(main_evidence(html))
    parts: dict[str, dict[str, str]] = {}
    for name, cell in re.findall(
        r'<tr data-analysis="([^"]+)">.*?<td class="relative">(.*?)</td>', grade, re.S
    ):
        parts.setdefault(name, {})["grade"] = _text(cell)
    row = rf'<tr [^>]*data-analysis="([^"]+)" data-evidence="{main}">.*?'
    for name, cell in re.findall(
        row + r'<td [^>]*class="[^"]*relative[^"]*">(.*?)</td>', summary, re.S
    ):
        parts.setdefault(name, {})["bayes"] = _text(cell)
    for name, sentence in re.findall(r'<p data-analysis="([^"]+)">(.*?)</p>', summary, re.S):
        parts.setdefault(name, {})["plain"] = _text(sentence)
    return parts


def disagreements(html: str) -> list[str]:
    """Where the summary of findings, the Bayesian detail and the plain-language text of one
    analysis do not state the same result (one line each; empty when they all agree)."""
    found = []
    for name, said in stated(html).items():
        grade = said.get("grade")
        others = {part: said[part] for part in ("bayes", "plain") if part in said}
        if grade is None:
            found.append(f"{name}: {sorted(others)} but no summary-of-findings row")
            continue
        if estimate := ESTIMATE.match(grade):
            measure, median, lower, upper = estimate.groups()
            words = {"bayes": measure.lower(), "plain": IN_WORDS[measure]}
            for part, text in others.items():
                wanted = (median, f"{lower} to {upper}", words[part])
                missing = [w for w in wanted if w not in text.lower()]
                if missing:
                    found.append(f"{name}: {part} lacks {missing} of the SoF's {grade!r}: {text!r}")
        elif none := NOT_ESTIMATED.match(grade):
            status = none.group(1)
            for part, text in others.items():
                if status not in text or re.search(r"\d to \d", text):
                    found.append(f"{name}: the SoF says {status!r}, {part} says {text!r}")
                if part == "plain" and "no pooled estimate" not in text.lower():
                    found.append(f"{name}: the SoF has no estimate, {part} says {text!r}")
        else:
            found.append(f"{name}: unreadable summary-of-findings cell {grade!r}")
    return found
