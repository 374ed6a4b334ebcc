"""RIOTT's published facts: responder and retention counts, and the urine-testing design.

Kept apart from the model (:mod:`hatmeta.riott.testlevel`) so that the start-up checks can read
them without importing SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from hatmeta.yamltext import read_yaml


@dataclass(frozen=True)
class TestingDesign:
    """The responder rule (at least ``min_negative`` of ``tests`` scheduled tests negative) and
    the commentary's "extra N%" of missed tests, from the urine-testing facts file."""

    tests: int = 13
    min_negative: int = 7
    excess_missing_percent: float = 43.0

    @classmethod
    def from_facts(cls, facts: dict) -> TestingDesign:
        """From ``data/raw/riott_urine_testing.yaml``."""
        tests = int(facts["schedule"]["tests_per_patient"])
        fraction = float(facts["responder_rule"]["min_negative_fraction"])
        return cls(
            tests=tests,
            min_negative=math.ceil(fraction * tests),
            excess_missing_percent=float(facts["missing_excess_anchor"]["value"]),
        )


def published_counts(harmonised, trial: str, measure: str, arms: Mapping[str, str]) -> dict:
    """The counts of ``measure`` per role, from the harmonised extraction table."""
    rows = harmonised[(harmonised["trial"] == trial) & (harmonised["measure"] == measure)]
    counts = {}
    for role, arm in arms.items():
        row = rows[(rows["arm"] == arm) & rows["events"].notna() & rows["total"].notna()]
        if row.empty:
            raise ValueError(f"no published {measure} counts for {trial} arm {arm}")
        counts[role] = {"events": int(row["events"].iloc[0]), "total": int(row["total"].iloc[0])}
    return counts


def read_design(path) -> TestingDesign:
    """The testing design from the urine-testing facts file (read strictly, see yamltext)."""
    facts, _ = read_yaml(path, "RIOTT testing facts")
    return TestingDesign.from_facts(facts)
