"""The report's section on risk of bias: the review's own RoB 2 assessment, shown as the
certainty used it.

Built from the certainty stage's files (the judgements in use and the two figures,
:mod:`hatmeta.certainty.stage`) and the answers file, and rendered by the generic section
template (:mod:`hatmeta.report.render`): how many judgements rest on answers with information,
where published judgements agree or disagree, a traffic light, the weighted summary per
analysis, every trial's judgements with the answers that decided them, and every answer with
its quote and source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.certainty.rob2 import DOMAIN_TITLES, QUESTIONS
from hatmeta.report.format import DASH
from hatmeta.report.images import png_data_uri

if TYPE_CHECKING:
    from hatmeta.config import Analysis

WORDS = {"low": "low", "some_concerns": "some concerns", "high": "high", "not_found": "not found"}
COLUMNS = [*DOMAIN_TITLES, "overall"]
ANSWER_HEADERS = {
    "trial": "Trial",
    "outcome": "Outcome",
    "question": "Question",
    "answer": "Answer",
    "quote": "Supporting quote",
    "source": "Source",
    "location": "Location",
    "note": "Reasoning",
}


def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, dtype=str)


def considered(judgements: pd.DataFrame, analyses: Mapping[str, Analysis]) -> pd.DataFrame:
    """The judgements of the trials each analysis considers, for its outcome (once each)."""
    keys = {(t, a.outcome.name) for a in analyses.values() for t in a.trials}
    pairs = zip(judgements["trial"], judgements["outcome"], strict=True)
    chosen = [pair in keys for pair in pairs]
    return judgements[pd.Series(chosen, index=judgements.index, dtype=bool)]


def coverage(judgements: pd.DataFrame) -> tuple[int, int]:
    """(domain judgements derived from answers with information, all domain judgements)."""
    domains = judgements[judgements["domain"] != "overall"]
    derived = domains[(domains["origin"] == "derived") & (domains["informative"] == "True")]
    return len(derived), len(domains)


def agreement_rows(judgements: pd.DataFrame) -> list[list[str]]:
    """A published judgement beside the review's own, and whether they agree."""
    both = judgements[(judgements["origin"] == "derived") & (judgements["published"] != "")]
    rows = []
    for (trial, domain, published, derived), group in both.groupby(
        ["trial", "domain", "published", "judgement"], sort=False
    ):
        rows.append(
            [
                trial,
                ", ".join(group["outcome"]),
                DOMAIN_TITLES.get(domain, "Overall"),
                WORDS[published],
                WORDS[derived],
                "agree" if published == derived else "DISAGREE",
            ]
        )
    return rows


#: What answer to an item's RoB 2 question agrees with an old-tool judgement of the item.
ITEM_AGREES = {"low": {"Y", "PY"}, "high": {"N", "PN"}, "some_concerns": {"NI"}}
ITEM_WORDS = {"sequence_generation": "random sequence generation",
              "allocation_concealment": "allocation concealment"}  # fmt: skip


def item_rows(published: pd.DataFrame, answers: pd.DataFrame) -> list[list[str]]:
    """An old-tool item judged by others (e.g. Cochrane 2011's 'random sequence generation:
    low risk') beside this review's answer to the RoB 2 question it corresponds to."""
    from hatmeta.certainty.risk_of_bias import ITEMS
    from hatmeta.certainty.rob2_answers import by_trial, resolve

    trials = by_trial(answers)
    rows = []
    items = published[
        published["domain"].isin(list(ITEMS)) & (published["judgement"] != "not_found")
    ]
    for row in items.itertuples(index=False):
        question = ITEMS[row.domain]
        chosen = resolve(trials.get(row.trial, []), row.outcome).get(question)
        if chosen is None:
            continue
        agrees = chosen["answer"] in ITEM_AGREES.get(row.judgement, set())
        rows.append(
            [
                row.trial,
                row.outcome or "every outcome",
                f"{ITEM_WORDS.get(row.domain, row.domain)} (original tool; RoB 2 question "
                f"{question})",
                f"{WORDS[row.judgement]} ({row.source}, {row.location})",
                f"{question} {chosen['answer']}",
                "agree" if agrees else "DISAGREE",
            ]
        )
    return rows


def judgement_rows(judgements: pd.DataFrame) -> list[list[str]]:
    """One row per trial and outcome: each domain's judgement with the answers behind it."""
    rows = []
    for (trial, outcome), group in judgements.groupby(["trial", "outcome"], sort=False):
        by_domain = group.set_index("domain")
        cells = [trial, outcome]
        for domain in COLUMNS:
            if domain not in by_domain.index:
                cells.append(DASH)
                continue
            row = by_domain.loc[domain]
            word = WORDS.get(row["judgement"], row["judgement"])
            if row["origin"] == "published":
                word += " (published)" if row["judgement"] != "not_found" else ""
            elif row["informative"] != "True":
                word += " (no information)"
            path = row["path"] if row["origin"] == "derived" else ""
            cells.append(f"{word}: {path}" if path and domain != "overall" else word)
        rows.append(cells)
    return rows


def section(
    paths: Mapping[str, str], analyses: Mapping[str, Analysis], rule: str
) -> dict[str, Any]:
    """The section, from the paths ``judgements``, ``traffic_light``, ``summary`` and
    (optional) ``answers`` and ``published``; ``rule``: the overall rule in words."""
    judgements = considered(_read(paths["judgements"]), analyses)
    informative, total = coverage(judgements)
    assessed = sorted(set(judgements.loc[judgements["origin"] == "derived", "trial"]))
    answers = _read(paths["answers"]) if paths.get("answers") else None
    agreement = agreement_rows(judgements)
    if answers is not None and paths.get("published"):
        agreement += item_rows(_read(paths["published"]), answers)
    disagree = [r for r in agreement if r[-1] == "DISAGREE"]
    callout = [
        f"This review assessed {len(assessed)} trial(s) itself with RoB 2 (individually "
        "randomised trials, effect of assignment), answering its signalling questions from the "
        "sources in its bibliography (trial reports, registries, reviews), each answer with its "
        f"quote, source and location. Of the {total} domain judgements of the trials the "
        f"analyses consider (trial x domain x outcome), {informative} "
        f"({100 * informative / max(total, 1):.0f}%) are derived from answers with information; "
        "the others follow from 'no information' answers by the same rules, or (marked) from "
        "a published judgement.",
        f"Overall judgement: {rule}.",
    ]
    if agreement:
        callout.append(
            f"{len(agreement)} published judgement(s) sit beside the review's own: "
            + (
                f"{len(disagree)} disagree ("
                + "; ".join(f"{r[0]} {r[2]}: published {r[3]}, ours {r[4]}" for r in disagree)
                + ")."
                if disagree
                else "all agree."
            )
        )
    header = ["Trial", "Outcome", *(DOMAIN_TITLES.get(d, "Overall") for d in COLUMNS)]
    tables = [
        {
            "caption": "Judgements by trial and outcome, each with the answers that decided it "
            "(RoB 2's decision rules); '(no information)': every answer of the domain is NI or "
            "NA",
            "compact": True,
            "text": True,
            "header": header,
            "rows": judgement_rows(judgements),
        }
    ]
    if agreement:
        tables.append(
            {
                "caption": "Published judgements beside this review's",
                "compact": False,
                "text": True,
                "header": ["Trial", "Outcomes", "Domain", "Published", "This review", ""],
                "rows": agreement,
            }
        )
    if answers is not None:
        order = {q: i for i, q in enumerate(QUESTIONS)}
        answers = answers.assign(_q=answers["question"].map(order)).sort_values(
            ["trial", "_q", "outcome"], kind="stable"
        )
        tables.append(
            {
                "caption": f"Every signalling answer ({len(answers)}), with its supporting "
                "quote and source (outcome blank: every outcome)",
                "compact": True,
                "collapsed": True,
                "text": True,
                "header": list(ANSWER_HEADERS.values()),
                "rows": answers[list(ANSWER_HEADERS)].to_numpy().tolist(),
            }
        )
    return {
        "id": "risk-of-bias",
        "title": "Risk of bias (RoB 2, assessed by this review)",
        "callout": callout,
        "tables": tables,
        "notes": [],
        "figures": [
            {
                "name": "Risk of bias by trial, domain and outcome",
                "uri": png_data_uri(paths["traffic_light"]),
                "wide": True,
            },
            {
                "name": "Risk of bias weighted by each analysis's inverse-variance weights",
                "uri": png_data_uri(paths["summary"]),
                "wide": True,
            },
        ],
        "methods": None,
    }
