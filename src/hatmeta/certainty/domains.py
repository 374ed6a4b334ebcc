"""The result of one GRADE domain, the panel's overrides, and the rating.

Certainty starts at high (4, randomised trials) and loses the sum of the domains' levels,
floored at very low (1): ``rating = max(1, 4 - sum(levels))``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hatmeta.config import Override

#: The domains, in the order of GRADE's evidence profile.
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_NAMES = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
    # A network comparison's own domain (hatmeta.certainty.network), not a pairwise one.
    "incoherence": "incoherence",
}
LEVEL_WORDS = ("not serious", "serious", "very serious")
#: Certainty by rating (1 to 4).
RATINGS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}
FILLED, EMPTY = "\u2295", "\u25ef"  # ⊕ and ◯, as GRADEpro prints them
START = 4


@dataclass(frozen=True)
class Domain:
    """One domain's judgement for one analysis.

    Attributes
    ----------
    domain
        One of :data:`DOMAINS`.
    level
        Levels rated down: 0 not serious, 1 serious, 2 very serious.
    rule
        The rule applied, in words.
    numbers
        The numbers that triggered it (the footnote's text), or why the domain is not assessed.
    assessed
        False when the rule could not be applied (no data, not assessable); then ``level`` is 0
        and ``numbers`` says why.
    overridden
        The panel's reason, when its level replaced the rule's.
    rule_level
        What the rule gave, kept beside an override.
    """

    domain: str
    level: int
    rule: str
    numbers: str
    assessed: bool = True
    overridden: str = ""
    rule_level: int | None = None

    def __post_init__(self):
        if self.domain not in DOMAIN_NAMES:
            raise ValueError(f"unknown domain '{self.domain}'")
        if self.level not in (0, 1, 2):
            raise ValueError(f"a domain rates down 0, 1 or 2 levels, not {self.level}")

    @property
    def words(self) -> str:
        if self.overridden:
            return f"{LEVEL_WORDS[self.level]} (overridden: {self.overridden})"
        return LEVEL_WORDS[self.level] if self.assessed else "not assessed"

    def footnote(self, rule: bool = True) -> str:
        """The footnote of a downgrade (or of a domain the reader must know was not assessed),
        with the rule or (``rule=False``, where the rules are listed once) without."""
        name = DOMAIN_NAMES[self.domain].capitalize()
        if self.overridden:
            was = LEVEL_WORDS[self.rule_level if self.rule_level is not None else 0]
            return (
                f"{name}: {LEVEL_WORDS[self.level]}, overridden by the panel: {self.overridden} "
                f"(the rule gave {was}: {self.numbers})"
            )
        if not self.assessed:
            return f"{name}: not assessed: {self.numbers}"
        text = f"{name}: {LEVEL_WORDS[self.level]}. {self.numbers}"
        return f"{text} Rule: {self.rule}" if rule else text


def override(domain: Domain, overrides: Mapping[str, Override]) -> Domain:
    """``domain`` with the panel's level and reason, when the panel gave one for it."""
    chosen = overrides.get(domain.domain)
    if chosen is None:
        return domain
    return replace(domain, level=chosen.level, overridden=chosen.reason, rule_level=domain.level)


def rating(domains: Sequence[Domain]) -> int:
    """``max(1, 4 - sum of levels)``: 4 high, 3 moderate, 2 low, 1 very low."""
    return max(1, START - sum(d.level for d in domains))


def symbols(value: int) -> str:
    """⊕⊕⊕⊕ for high down to ⊕◯◯◯ for very low."""
    return FILLED * value + EMPTY * (START - value)


def certainty_label(value: int) -> str:
    return f"{symbols(value)} {RATINGS[value]}"


#: Domains footnoted even when not serious: the funnel test's result is news either way.
ALWAYS_FOOTNOTED = ("publication_bias",)


def footnoted(domains: Sequence[Domain]) -> list[Domain]:
    """The domains a reader is told about: every downgrade, override or domain not assessed,
    and the publication-bias assessment whatever its result."""
    return [
        d
        for d in domains
        if d.level or d.overridden or not d.assessed or d.domain in ALWAYS_FOOTNOTED
    ]
