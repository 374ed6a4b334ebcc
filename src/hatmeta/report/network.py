"""The report's section on the network meta-analyses (config ``networks``).

Built from the files of the ``network`` rule (:mod:`hatmeta.bayes.network_stage`) and rendered
by the generic section template: for each network its graph, its arms with their counts and
sources (and the arms and trials left out, with why), the forest and table of every treatment
against the reference, the league table, ranks and SUCRA with their caution, the consistency
statement (or node-split table), the random- against the fixed-effect model, and the network's
estimate of the main comparison beside the pairwise analysis's. A network that is not analysed
(disconnected, or no network) shows its statement, its graph and its arms, nothing pooled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.report.format import DASH, fmt_interval, fmt_number, fmt_prob, fmt_ratio, table
from hatmeta.report.images import png_data_uri

if TYPE_CHECKING:
    from hatmeta.layout import NetworkFiles
    from hatmeta.network_settings import NetworkSettings

ARM_HEADERS = {
    "trial": "Trial",
    "node": "Treatment",
    "measure": "Measure",
    "counts": "Events / total",
    "status": "Status",
    "source": "Source (sheet line)",
}
LEFT_OUT_HEADERS = {"trial": "Trial", "node": "Arm", "reason": "Why left out"}
FIT_HEADERS = {
    "model": "Model",
    "residual_deviance": "Residual deviance",
    "pD": "pD",
    "dic": "DIC",
    "DIC_minus_fixed": "DIC minus fixed",
    "elpd": "ELPD (LOO, SE)",
    "high_pareto_k": "Arms with Pareto k > 0.7",
}


def named(node: str, labels: Mapping[str, str]) -> str:
    """A treatment as the report names it: its label and code, or its code alone."""
    label = labels.get(node, node)
    return node if label == node else f"{label} ({node})"


def _two(value: float) -> str:
    return fmt_number(value, 2)


def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _or(row: Mapping[str, Any]) -> str:
    return f"{fmt_ratio(row['OR_median'])} ({fmt_interval(row['OR_lower'], row['OR_upper'])})"


def league_matrix(league: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The league table as a square: row treatment against column treatment (OR, 95% CrI)."""
    cells = {(r["treatment"], r["comparator"]): _or(r) for r in league.to_dict("records")}
    rows = []
    for t in order:
        rows.append({"": t} | {c: (t if c == t else cells.get((t, c), DASH)) for c in order})
    return pd.DataFrame(rows, columns=["", *order])


def pairwise_estimate(summary_path: str | None) -> str:
    """The pairwise fit's pooled OR with its 95% CrI, from its summary file ('' if none)."""
    if summary_path is None:
        return ""
    summary = pd.read_csv(summary_path)
    if "quantity" not in summary.columns or "OR" not in set(summary["quantity"]):
        return ""
    row = summary.set_index("quantity").loc["OR"]
    return f"{fmt_ratio(row['median'])} ({fmt_interval(row['lower'], row['upper'])})"


def _arms_tables(arms: pd.DataFrame, title: str, labels: Mapping[str, str]) -> list[dict]:
    included = arms[arms["included"].astype(str).str.lower() == "true"].copy()
    included["node"] = [named(n, labels) for n in included["node"]]
    included["counts"] = [
        f"{int(e)} / {int(n)}" for e, n in zip(included.events, included.total, strict=True)
    ]
    included["source"] = [
        f"{s} (line {int(li)})" for s, li in zip(included.source, included.line, strict=True)
    ]
    out = [
        {
            "caption": f"{title}: every arm in the network, with its counts and their source "
            "(bibliography key and line of the extraction sheet) and status",
            "compact": True,
            "text": True,
            **table(included[list(ARM_HEADERS)], ARM_HEADERS),
        }
    ]
    left = arms[arms["included"].astype(str).str.lower() != "true"].fillna("")
    if len(left):
        out.append(
            {
                "caption": f"{title}: trials and arms left out, with the reason",
                "compact": True,
                "text": True,
                "collapsed": True,
                **table(left[list(LEFT_OUT_HEADERS)], LEFT_OUT_HEADERS),
            }
        )
    return out


def _fit_table(fits: pd.DataFrame) -> pd.DataFrame:
    frame = fits.copy()
    frame["elpd"] = [
        f"{fmt_number(e, 3)} ({fmt_number(s, 2)})"
        for e, s in zip(frame["elpd_loo"], frame["elpd_loo_se"], strict=True)
    ]
    frame["high_pareto_k"] = [
        f"{int(k)} of {int(n)}"
        for k, n in zip(frame["high_pareto_k"], frame["data_points"], strict=True)
    ]
    return frame.rename(columns={"p_d": "pD"})[list(FIT_HEADERS)]


def _consistency(consistency: pd.DataFrame, labels: Mapping[str, str]) -> tuple[str, list]:
    statement = str(consistency["statement"].iloc[0])
    if "p_value" not in consistency.columns:
        return statement, []
    rows = pd.DataFrame(
        {
            "comparison": [
                f"{t} vs {c}"
                for t, c in zip(consistency.treatment, consistency.comparator, strict=True)
            ],
            "direct": [
                _or({k[7:]: r[k] for k in r if k.startswith("direct_")})
                for r in consistency.to_dict("records")
            ],
            "indirect": [
                _or({k[9:]: r[k] for k in r if k.startswith("indirect_")})
                for r in consistency.to_dict("records")
            ],
            "network": [
                _or({k[8:]: r[k] for k in r if k.startswith("network_")})
                for r in consistency.to_dict("records")
            ],
            "p": [fmt_prob(p) for p in consistency["p_value"]],
            "trials": consistency["direct_trials"],
        }
    )
    headers = {"comparison": "Comparison", "direct": "Direct OR (95% CrI)"}
    headers |= {"indirect": "Indirect", "network": "Network", "p": "p (Bayesian)"}
    headers |= {"trials": "Direct trials"}
    return statement, [
        {
            "caption": "Node-splitting: direct against indirect evidence",
            "compact": True,
            **table(rows, headers),
        }
    ]


def network_part(
    name: str,
    files: NetworkFiles,
    settings: NetworkSettings,
    pairwise: tuple[str, str] | None,
) -> tuple[list[str], list[dict], list[str], list[dict]]:
    """One network's callout lines, tables, notes and figures. ``pairwise``: the pairwise
    analysis's title and its fit summary's path, for the main comparison beside the network's."""
    labels = settings.labels
    with open(files.diagnostics) as handle:
        record = json.load(handle)
    title = record["title"]
    arms = _read(files.arms)
    figures = [{"name": f"{title}: the network", "uri": png_data_uri(files.plot), "wide": False}]
    tables = _arms_tables(arms, title, labels)
    if record["status"] != "analysed":
        callout = [f"{title}: {record['statement']}"]
        return callout, tables, [], figures
    figures.append(
        {
            "name": f"{title}: every treatment against {labels.get(record['reference'])}",
            "uri": png_data_uri(files.forest),
            "wide": False,
        }
    )
    reference = record["reference"]
    order = record["treatments"]
    versus = _read(files.versus_reference)
    het = record["heterogeneity"]
    main = versus[versus["treatment"] == settings.treatment]
    callout = [
        f"{title}: {len(record['trials'])} trials, {len(order)} treatments "
        f"({', '.join(order)}); reference {labels.get(reference, reference)}. Heterogeneity "
        f"tau {fmt_number(het['median'], 2)} ({fmt_interval(het['lower'], het['upper'], _two)}), "
        f"prior {record['prior']}."
    ]
    if len(main) and pairwise is not None:
        estimate = pairwise_estimate(pairwise[1])
        callout.append(
            f"{settings.treatment} against {reference}: network OR {_or(main.iloc[0])}; "
            f"pairwise ({pairwise[0]}) OR {estimate or 'not estimated'}."
        )
    versus_table = versus.assign(
        estimate=[_or(r) for r in versus.to_dict("records")],
        label=[named(t, labels) for t in versus["treatment"]],
    )
    tables.append(
        {
            "caption": f"{title}: every treatment against {labels.get(reference, reference)} "
            "(random effects, OR with 95% CrI)",
            "compact": False,
            **table(
                versus_table[["label", "estimate", "P(OR>1)"]],
                {"label": "Treatment", "estimate": "OR (95% CrI)", "P(OR>1)": "P(OR > 1)"},
            ),
        }
    )
    tables.append(
        {
            "caption": f"{title}: league table, the row treatment against the column treatment "
            "(OR with 95% CrI; OR > 1: more events with the row treatment)",
            "compact": True,
            **table(league_matrix(_read(files.league), order)),
        }
    )
    ranks = _read(files.ranks)
    rank_columns = ["treatment", "SUCRA", "mean_rank", "P(best)"]
    rank_columns += [c for c in ranks.columns if c.startswith("P(rank=")]
    tables.append(
        {
            "caption": f"{title}: SUCRA and rank probabilities (rank 1: "
            f"{ranks['best_is'].iloc[0]})",
            "compact": True,
            **table(ranks[rank_columns], {"treatment": "Treatment", "mean_rank": "Mean rank"}),
        }
    )
    tables.append(
        {
            "caption": f"{title}: random effects against fixed effect (NICE DSU TSD 2's residual "
            "deviance, pD and DIC; PSIS-LOO)",
            "compact": False,
            **table(_fit_table(_read(files.model_fit)), FIT_HEADERS),
        }
    )
    statement, split_tables = _consistency(_read(files.consistency), labels)
    tables += split_tables
    notes = [
        f"{title}, consistency: {statement}",
        f"{title}, ranks: {ranks['caution'].iloc[0]}",
        f"{title}, model fit: a DIC difference of more than about 3 to 5 points is read as a "
        "meaningful difference in fit (TSD 2); LOO terms of arms with Pareto k above 0.7 are "
        "unreliable, which in a network of few arms per treatment is common, so DIC is the "
        "comparison that counts here.",
    ]
    return callout, tables, notes, figures


def section(
    paths: Mapping[str, NetworkFiles],
    settings: NetworkSettings,
    pairwise: Mapping[str, tuple[str, str]],
    sof: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The section: ``paths`` by network name (main evidence set), ``pairwise`` by network
    name the pairwise analysis's title and summary path; ``sof`` the network rows of the
    summary of findings (:func:`hatmeta.certainty.network.network_sof`), shown there."""
    callout, tables, notes, figures = [], [], [], []
    for name, files in paths.items():
        c, t, n, f = network_part(name, files, settings, pairwise.get(name))
        callout += c
        tables += t
        notes += n
        figures += f
    notes.append(
        "Model: NICE DSU TSD 2's binomial model with a logit link (trial baselines as nuisance "
        "parameters, basic parameters against the reference, one heterogeneity sd for every "
        "comparison, multi-arm trials' random effects with correlation 1/2 by the conditional "
        "formulation), sampled until the diagnostics targets are met, as every other fit; "
        "a fixed-effect model beside it. Each network is compiled once with the others."
    )
    return {
        "id": "network",
        "title": "Network meta-analysis",
        "callout": callout,
        "tables": tables,
        "notes": notes,
        "figures": figures,
        "methods": None,
        "sof": sof,
    }


def sof_table(rows: list[dict[str, Any]], labels: Mapping[str, str]) -> dict[str, Any] | None:
    """The network rows of the summary of findings: each comparison's network estimate and its
    certainty, the reasons as numbered footnotes (each once) and every domain's rule once."""
    from hatmeta.certainty.domains import DOMAIN_NAMES
    from hatmeta.report.format import column_widths

    if not rows:
        return None
    notes: list[str] = []
    body = []
    for row in rows:
        numbers = []
        for domain in row["domains"]:
            if domain.level == 0 and domain.assessed:
                continue
            text = domain.footnote(rule=False)
            if text not in notes:
                notes.append(text)
            numbers.append(notes.index(text) + 1)
        x, y = row["treatment"], row["comparator"]
        body.append(
            [
                row["network"],
                f"{labels.get(x, x)} vs {labels.get(y, y)}",
                f"{row['n_participants']} ({row['n_trials']} RCTs)",
                row["direct_trials"] or "none (indirect only)",
                _or(row),
                f"{row['certainty']}"
                + (f" ({', '.join(map(str, sorted(numbers)))})" if numbers else ""),
            ]
        )
    header = [
        "Network",
        "Comparison",
        "Participants (trials) in arms of either",
        "Direct trials",
        "OR (95% CrI), network",
        "Certainty (footnotes)",
    ]
    rules = [f"{DOMAIN_NAMES[d.domain].capitalize()}: {d.rule}" for d in rows[0]["domains"]]
    return {
        "caption": "Network comparisons of interest (every treatment against the reference and "
        "the configured pairs): the network meta-analysis's odds ratio and the certainty of "
        "evidence by GRADE's rules with the network's intervals",
        "header": header,
        "rows": body,
        "widths": column_widths(header, body),
        "notes": notes,
        "rules": rules,
    }
