"""Shared fixtures: the project's data and settings, other reviews, and workflow runs."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hatmeta.config import DataFiles, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "data" / "raw" / "extraction.csv"
BIBLIOGRAPHY = ROOT / "data" / "raw" / "bibliography.csv"
CONFIG = ROOT / "config" / "config.yaml"
#: The test config is the real config plus this override (smaller sampler and grid).
SMALL = ROOT / "tests" / "data" / "small.yaml"
#: Other reviews in the same sheet format: a synthetic one and a real published one.
OTHER_REVIEW = ROOT / "tests" / "data" / "other_review"
BCG_REVIEW = ROOT / "examples" / "bcg"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def rule_blocks() -> dict[str, str]:
    """Rule name -> its text, for every rule of every .smk file under workflow/rules/."""
    blocks = {}
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"(?m)^(?=\S)", path.read_text()):
            if match := re.match(r"(?:rule|checkpoint) (\w+):", block):
                blocks[match.group(1)] = block
    return blocks


def rule_scripts() -> dict[str, str]:
    """Rule name -> the file name of its script, for every rule with a ``script:``."""
    scripts = {}
    for rule, block in rule_blocks().items():
        if match := re.search(r'^\s+script:\s*\n\s+"[./]*scripts/([\w.]+)"', block, re.M):
            scripts[rule] = match.group(1)
    return scripts


def at(root: Path, settings: Settings) -> Settings:
    """``settings`` with its data paths made absolute under ``root`` (any working directory)."""
    paths = {k: None if v is None else str(root / v) for k, v in settings.data._asdict().items()}
    return settings._replace(data=DataFiles(**paths))


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The project's settings (read-only: shared by the whole session)."""
    return at(ROOT, load_settings(CONFIG))


@pytest.fixture(scope="session")
def other_review_settings() -> Settings:
    return at(OTHER_REVIEW, load_settings(OTHER_REVIEW / "config.yaml"))


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


def project_workdir(workdir: Path) -> Path:
    """A scratch working directory that sees the project's config and data (relative paths in
    the config resolve as in the repository) and writes its own results."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("config", "data"):
        os.symlink(ROOT / name, workdir / name)
    return workdir


#: The project's config plus the small override, as given on the command line.
SMALL_CONFIG_ARGS = ("--configfile", str(CONFIG), str(SMALL))


def review_copy(review: Path, destination: Path) -> Path:
    """A copy of a review directory (config, sheet, bibliography), to run without writing
    results into the repository."""
    shutil.copytree(review, destination)
    return destination


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The whole pipeline, run locally on the real sheet with the small override (once per
    session: the workflow and SLURM tests share it)."""
    workdir = project_workdir(tmp_path_factory.mktemp("small"))
    snakemake(*SMALL_CONFIG_ARGS, "--cores", "2", cwd=workdir)
    return workdir


@pytest.fixture(scope="session")
def runner():
    """The binomial model compiled once for the session (every fit is a data swap)."""
    from bayes_data import N_SLOTS, SAMPLER

    from hatmeta.bayes.sampling import ModelRunner

    return ModelRunner(N_SLOTS, SAMPLER, effect_sd=2.5, baseline_sd=5.0)


@pytest.fixture(scope="session")
def retention_fit(runner):
    from bayes_data import GATE, HN05, RETENTION, fit_data

    return runner.fit(fit_data(RETENTION), HN05, GATE).tree


#: Headless Chromium for the tests that look at the report, and the flags it needs here (no
#: background networking: the machine has no network).
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
