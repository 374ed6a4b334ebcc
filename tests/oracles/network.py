"""Network meta-analysis oracles in R (``network.R``): metafor's ``rma.mv`` and R's ``glm``.

Never a runtime dependency; skipped (or failed under ``HATMETA_REQUIRE_R=1``) like the other R
oracles when ``Rscript`` or metafor is missing (:func:`oracles.metafor.require_r`).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from oracles.metafor import require_r

SCRIPT = Path(__file__).with_name("network.R")


def _run(args: list[str]) -> dict:
    rscript = require_r()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        result = subprocess.run(
            [rscript, str(SCRIPT), str(out), *args], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"network.R failed:\n{result.stderr}")
        return json.loads(out.read_text())


def network_oracle(arms: pd.DataFrame, reference: str, order: list[str]) -> dict:
    """R's results for an arm table (``trial``, ``treatment``, ``events``, ``total``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arms.csv"
        arms[["trial", "treatment", "events", "total"]].to_csv(path, index=False)
        return _run([str(path), reference, *order])


def metadat_network(
    name: str, columns: tuple[str, str, str, str], reference: str, order: list[str]
) -> tuple[pd.DataFrame, dict]:
    """A network dataset of metafor's data package as an arm table, and R's results on it;
    ``columns`` name its trial, treatment, events and total columns."""
    result = _run([name, *columns, reference, *order])
    return pd.DataFrame(result["arms"]), result
