"""Shared fixtures: the project's own data and config, and a second (synthetic) review."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from hatmeta import config as hatconfig

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "data" / "raw" / "extraction.csv"
BIBLIOGRAPHY = ROOT / "data" / "raw" / "bibliography.csv"
OTHER_REVIEW = ROOT / "tests" / "data" / "other_review"


def absolute_data_paths(config: dict, root: Path = ROOT) -> dict:
    """Make a config's data paths absolute so it can run from any working directory."""
    config["data"] = {key: str(root / value) for key, value in config["data"].items()}
    return config


@pytest.fixture(scope="session")
def project_config() -> dict:
    """The project's config (treat as read-only: it is shared by the whole session)."""
    return absolute_data_paths(hatconfig.load(ROOT / "config" / "config.yaml"))


@pytest.fixture(scope="session")
def other_review_config() -> dict:
    return absolute_data_paths(hatconfig.load(OTHER_REVIEW / "config.yaml"))


@pytest.fixture
def sheet_rows() -> list[dict]:
    """The project's extraction sheet as a list of row dicts (all values as text)."""
    with SHEET.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict], fieldnames: list[str] | None = None) -> Path:
    """Write rows as a CSV sheet; ``fieldnames`` defaults to the first row's keys."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    return path
