"""Shared fixtures: the project's own data and config, and a second (synthetic) review."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hatmeta import config as hatconfig

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "data" / "raw" / "extraction.csv"
BIBLIOGRAPHY = ROOT / "data" / "raw" / "bibliography.csv"
OTHER_REVIEW = ROOT / "tests" / "data" / "other_review"
PROJECT_SMALL = ROOT / "tests" / "data" / "project_small.yaml"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


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


def snakemake(
    *args: str, cwd: Path = ROOT, check: bool = True, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run this project's Snakefile; with ``check``, fail the test showing Snakemake's output."""
    result = subprocess.run(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    if check and result.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def workdir_with_config(workdir: Path, config: dict) -> Path:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def small_config() -> dict:
    return absolute_data_paths(yaml.safe_load(PROJECT_SMALL.read_text()))


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The whole pipeline, run locally on the real sheet with a small sampler (once per
    session: the workflow and SLURM tests share it)."""
    workdir = workdir_with_config(tmp_path_factory.mktemp("small"), small_config())
    snakemake("--configfile", "config.yaml", "--cores", "2", cwd=workdir)
    return workdir
