"""R as the oracle of :mod:`hatmeta.certainty`: metafor's ``regtest`` on dat.bcg and R's
``power.prop.test``, through ``grade.R`` (skipped without R unless ``HATMETA_REQUIRE_R=1``)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from oracles.metafor import require_r

SCRIPT = Path(__file__).with_name("grade.R")


def grade_oracle(pairs: Sequence[tuple[float, float]]) -> dict:
    """dat.bcg's counts, regtest (model "lm") with predictors sei and ninv, and
    power.prop.test's n per group for each pair of proportions."""
    rscript = require_r()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        args = [f"{p1!r},{p2!r}" for p1, p2 in pairs]
        result = subprocess.run(
            [rscript, str(SCRIPT), str(out), *args], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"grade.R failed:\n{result.stderr}")
        return json.loads(out.read_text())
