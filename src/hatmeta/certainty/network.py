"""GRADE certainty of network comparisons, as rules (GRADE's NMA guidance; CINeMA's domains).

Each comparison of interest (every treatment against the reference, and the configured pairs)
is rated from the network's own estimate and interval, by the pairwise domains' rules where
they carry over and by two network rules where they do not:

* **risk of bias**: the pairwise rule (:func:`hatmeta.certainty.risk_of_bias.assess`: shares of
  weight from trials at high risk or with some concerns) over the trials with an arm of either
  treatment, each weighted by its participants in those arms (a network estimate draws on
  every path, and the inverse-variance weights of a pairwise analysis do not exist for it; the
  trials of the two treatments carry its direct and first-step indirect evidence);
* **inconsistency** (heterogeneity): the pairwise thresholds on the posterior median of the
  network's heterogeneity sd, which is common to every comparison;
* **indirectness and intransitivity**: rated down ``indirect_only_down`` levels when no trial
  compared the two treatments (the estimate rests only on the transitivity assumption), and
  ``definitions_down`` when the network's trials measure the outcome by more than one
  definition (unless the network says its measures are one); the larger of the two;
* **imprecision**: the pairwise rule on the odds ratio's 95% CrI
  (:func:`hatmeta.certainty.imprecision.assess_ratio`);
* **publication bias**: with fewer trials than the pairwise rule's minimum, not assessable and
  not rated down; with more, not assessed (no comparison-adjusted funnel test is implemented),
  said so;
* **incoherence**: a node-split p-value below ``incoherence_p`` for the comparison rates it
  down one level; where the network has no loop of separate trials through it, incoherence is
  not assessable: not rated down, and said (CINeMA's "some concerns" for evidence that cannot
  be checked for incoherence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from hatmeta.certainty import imprecision, risk_of_bias
from hatmeta.certainty.domains import Domain, certainty_label, rating

if TYPE_CHECKING:
    from hatmeta.config import CertaintySettings
    from hatmeta.network_settings import NetworkCertainty, NetworkSpec

#: What the network's risk-of-bias rule weighs, appended to the pairwise rule's words.
PARTICIPANT_WEIGHTS = (
    "; for a network comparison, over the trials with an arm of either treatment, each "
    "weighted by its participants in those arms"
)
NETWORK_DOMAINS = (
    "risk_of_bias",
    "inconsistency",
    "indirectness",
    "imprecision",
    "publication_bias",
    "incoherence",
)


def comparisons(
    treatments: Sequence[str], reference: str, pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Every treatment against the reference, then each configured pair present."""
    out = [(t, reference) for t in treatments if t != reference]
    out += [(a, b) for a, b in pairs if a in treatments and b in treatments and (a, b) not in out]
    return out


def contributing(arms: pd.DataFrame, x: str, y: str) -> pd.Series:
    """Participants in the arms of ``x`` or ``y``, by trial (the risk-of-bias weights)."""
    chosen = arms[arms["node"].isin((x, y))]
    return chosen.groupby("trial", sort=False)["total"].sum().astype(float)


def incoherence_rule(threshold: float) -> str:
    return (
        f"node-split p below {threshold:g} for the comparison: serious; no loop of separate "
        "trials through it: not assessable, not rated down (CINeMA: some concerns)"
    )


def incoherence(
    consistency: pd.DataFrame, x: str, y: str, statement: str, threshold: float
) -> Domain:
    """The incoherence domain of ``x`` vs ``y`` from the network's consistency table."""
    rule = incoherence_rule(threshold)
    if "p_value" in consistency.columns:
        rows = consistency[
            ((consistency["treatment"] == x) & (consistency["comparator"] == y))
            | ((consistency["treatment"] == y) & (consistency["comparator"] == x))
        ]
        if len(rows):
            p = float(rows["p_value"].iloc[0])
            level = 1 if p < threshold else 0
            numbers = f"Node-split p = {p:.3f} ({'below' if level else 'not below'} {threshold:g})."
            return Domain("incoherence", level, rule, numbers)
        statement = f"{x} vs {y} is not in a loop of separate trials (not node-split)."
    return Domain(
        "incoherence", 0, rule, f"{statement} Some concerns, not rated down.", assessed=False
    )


def heterogeneity(tau: float, settings: CertaintySettings, n_trials: int) -> Domain:
    """The inconsistency domain: the network's common tau against the pairwise thresholds."""
    serious, very = settings.tau_serious, settings.tau_very_serious
    rule = (
        f"posterior median tau (common to every comparison of the network) above {very:g}: "
        f"very serious; above {serious:g}: serious"
    )
    if n_trials < 2:
        return Domain("inconsistency", 0, rule, "one trial: nothing to judge", False)
    level = 2 if tau > very else (1 if tau > serious else 0)
    return Domain("inconsistency", level, rule, f"Posterior median tau {tau:.2f}.")


def intransitivity(
    direct: Sequence[str], measures: Sequence[str], one_definition: bool, rules: NetworkCertainty
) -> Domain:
    """Indirectness/intransitivity of a comparison (module docstring)."""
    rule = (
        f"no trial compared the two treatments directly: {rules.indirect_only_down} level(s); "
        f"the network's trials use more than one outcome definition: {rules.definitions_down} "
        "level(s); the larger of the two"
    )
    levels, parts = [0], []
    if direct:
        parts.append(f"direct evidence from {', '.join(direct)}")
    else:
        levels.append(rules.indirect_only_down)
        parts.append("no trial compared them: the estimate is indirect only")
    if len(set(measures)) > 1 and not one_definition:
        levels.append(rules.definitions_down)
        parts.append(
            f"{len(set(measures))} outcome definitions ({', '.join(sorted(set(measures)))})"
        )
    return Domain("indirectness", min(max(levels), 2), rule, "; ".join(parts) + ".")


def publication(n_trials: int, settings: CertaintySettings) -> Domain:
    rule = (
        f"with fewer than {settings.publication_min_trials} trials not assessable and not rated "
        "down; a comparison-adjusted funnel test is not implemented"
    )
    if n_trials < settings.publication_min_trials:
        numbers = f"{n_trials} trial(s) in the network: not assessable (not rated down)."
    else:
        numbers = f"{n_trials} trials; no comparison-adjusted funnel test was run (not rated down)."
    return Domain("publication_bias", 0, rule, numbers, False)


def rate_comparison(
    x: str,
    y: str,
    league: pd.DataFrame,
    arms: pd.DataFrame,
    consistency: pd.DataFrame,
    record: Mapping[str, Any],
    rob: pd.DataFrame | None,
    spec: NetworkSpec,
    settings: CertaintySettings,
    rules: NetworkCertainty,
) -> dict[str, Any]:
    """The summary-of-findings row of ``x`` against ``y``: the estimate, each domain and the
    rating."""
    row = league[(league["treatment"] == x) & (league["comparator"] == y)].iloc[0]
    weights = contributing(arms, x, y)
    trials = pd.DataFrame({"trial": list(weights.index)})
    designs = arms.groupby("trial", sort=False)["node"].apply(set)
    direct = [t for t, nodes in designs.items() if {x, y} <= nodes]
    higher = bool(record["higher_is_better"])
    bias = risk_of_bias.assess(trials, rob, spec.selection, settings, weights=weights)
    # The pairwise rule's words name its inverse-variance weights; these are participants.
    bias = replace(
        bias,
        rule=bias.rule.replace("of the weight", "of the participants") + PARTICIPANT_WEIGHTS,
        numbers=bias.numbers.replace("inverse-variance weight", "participants").replace(
            "of the weight", "of the participants"
        ),
    )
    domains = [
        bias,
        heterogeneity(float(record["heterogeneity"]["median"]), settings, len(designs)),
        intransitivity(direct, list(arms["measure"]), spec.selection.one_definition, rules),
        imprecision.assess_ratio(
            float(row["OR_lower"]), float(row["OR_upper"]), higher, "", settings
        ),
        publication(len(designs), settings),
        incoherence(consistency, x, y, str(consistency["statement"].iloc[0]), rules.incoherence_p),
    ]
    value = rating(domains)
    return {
        "network": spec.name,
        "comparison": f"{x} vs {y}",
        "treatment": x,
        "comparator": y,
        "OR_median": float(row["OR_median"]),
        "OR_lower": float(row["OR_lower"]),
        "OR_upper": float(row["OR_upper"]),
        "direct_trials": "; ".join(direct),
        "n_trials": len(weights),
        "n_participants": int(weights.sum()),
        "rating": value,
        "certainty": certainty_label(value),
        "domains": domains,
    }


def network_sof(
    networks: Mapping[str, tuple[NetworkSpec, Mapping[str, str]]],
    rob: pd.DataFrame | None,
    settings: CertaintySettings,
    rules: NetworkCertainty,
    reference: str,
) -> list[dict[str, Any]]:
    """The rated rows of every analysed network: ``networks`` maps each name to its spec and
    its files (``league``, ``arms``, ``consistency``, ``diagnostics``, as paths)."""
    import json

    rows = []
    for spec, files in networks.values():
        with open(files["diagnostics"]) as handle:
            record = json.load(handle)
        if record["status"] != "analysed":
            continue
        read = lambda p: pd.read_csv(p, keep_default_na=False, na_values=[""])  # noqa: E731
        arms = read(files["arms"])
        arms = arms[arms["included"].astype(str).str.lower() == "true"]
        league, consistency = read(files["league"]), read(files["consistency"])
        for x, y in comparisons(record["treatments"], reference, spec.pairs):
            rows.append(
                rate_comparison(x, y, league, arms, consistency, record, rob, spec, settings, rules)
            )
    return rows


def read_judgements(path: str | None) -> pd.DataFrame | None:
    """The certainty stage's risk-of-bias judgements file, as the rule reads it."""
    if path is None:
        return None
    table = pd.read_csv(path, keep_default_na=False, dtype=str)
    return table.assign(line=0)


def sof_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The rated rows as a table: the estimate, the rating, and per domain its level in words
    and the numbers behind it (the report's network rows, as a file)."""
    out = []
    for row in rows:
        flat = {k: v for k, v in row.items() if k != "domains"}
        for domain in row["domains"]:
            flat[domain.domain] = domain.words
            flat[f"{domain.domain}_numbers"] = domain.numbers
        out.append(flat)
    return pd.DataFrame(out)
