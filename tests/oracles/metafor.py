"""R's metafor as a test oracle: ``metafor.R`` run through ``Rscript``.

Never a runtime dependency. Where ``Rscript`` or metafor is missing the calling test is skipped
with the reason, unless ``HATMETA_REQUIRE_R=1`` (set in CI), where it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).with_name("metafor.R")


def require_r() -> str:
    """The path of ``Rscript`` with metafor, metadat and jsonlite loadable, or a skip."""
    rscript = shutil.which("Rscript")
    problem = None
    if rscript is None:
        problem = "Rscript not found (Debian: apt install r-cran-metafor r-cran-jsonlite)"
    else:
        check = subprocess.run(
            [rscript, "-e", "library(metafor); library(metadat); library(jsonlite)"],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            problem = f"R lacks metafor, metadat or jsonlite: {check.stderr.strip()[-300:]}"
    if problem:
        if os.environ.get("HATMETA_REQUIRE_R") == "1":
            pytest.fail(f"HATMETA_REQUIRE_R=1 but {problem}")
        pytest.skip(problem)
    return rscript


def _run(args: list[str]) -> dict:
    rscript = require_r()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        result = subprocess.run(
            [rscript, str(SCRIPT), *args[:1], str(out), *args[1:]], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"metafor.R failed:\n{result.stderr}")
        return json.loads(out.read_text())


def metafor(wide: pd.DataFrame) -> dict:
    """metafor's results for a two-by-two table (columns as :func:`hatmeta.classical.
    two_by_two`)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        wide.rename(
            columns={
                "events_treatment": "ai",
                "total_treatment": "n1i",
                "events_control": "ci",
                "total_control": "n2i",
            }
        ).to_csv(path, index=False)
        return _run([str(path)])


def metadat(name: str, columns: tuple[str, ...]) -> tuple[pd.DataFrame, dict]:
    """A dataset of metafor's data package, as a two-by-two table, and metafor's results;
    ``columns`` name its treatment events and size and control events and size (or its four
    cells, followed by ``"cells"``)."""
    result = _run([name, *columns])
    data = pd.DataFrame(result["data"])
    wide = pd.DataFrame(
        {
            "trial": data["trial"].astype(str),
            "events_treatment": data["ai"].astype(int),
            "total_treatment": data["n1i"].astype(int),
            "events_control": data["ci"].astype(int),
            "total_control": data["n2i"].astype(int),
        }
    )
    return wide, result
