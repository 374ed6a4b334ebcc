"""The ``hatmeta`` command: ``new`` writes a review that ``check`` passes and Snakemake runs,
``check`` refuses bad files with the workflow's messages and documented exit codes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import BCG_REVIEW, ROOT, snakemake

from hatmeta import cli
from hatmeta.scaffold import FILES, RISK_OF_BIAS

HATMETA = str(Path(sys.executable).with_name("hatmeta"))
RELEASE = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The installed console script."""
    return subprocess.run(
        [HATMETA, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def check(directory: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["check", str(directory), *args])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_version_is_the_one_in_pyproject():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hatmeta {RELEASE}"


def test_new_writes_a_review_that_check_passes(tmp_path):
    review = tmp_path / "x"
    result = run("new", str(review))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in review.iterdir()) == sorted(FILES)
    config = (review / "config.yaml").read_text()
    assert f"hatmeta {RELEASE}" in config
    assert "  # risk_of_bias: risk_of_bias.csv" in config  # optional, off
    # The example is examples/bcg's sheet and bibliography, which tests check against
    # metadat's dat.bcg (test_classical).
    for name in ("extraction.csv", "bibliography.csv"):
        assert (review / name).read_bytes() == (BCG_REVIEW / name).read_bytes()
    checked = run("check", str(review))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().endswith("s)") and f"{review}: valid" in checked.stdout
    # the trial list of the sensitivity analysis, said as the workflow's start-up says it
    assert "all/tuberculosis_random: 7 of 13 trials" in checked.stdout


def test_new_with_a_risk_of_bias_table(tmp_path, capsys):
    review = tmp_path / "x"
    assert cli.main(["new", str(review), "--risk-of-bias"]) == 0
    assert (review / RISK_OF_BIAS).is_file()
    assert "\n  risk_of_bias: risk_of_bias.csv" in (review / "config.yaml").read_text()
    table = pd.read_csv(review / RISK_OF_BIAS, keep_default_na=False)
    trials = pd.read_csv(review / "trials.csv")["trial"]
    assert list(table["trial"]) == list(trials) and set(table["domain"]) == {"overall"}
    assert check(review, capsys)[0] == cli.OK


def test_new_refuses_a_directory_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(["new", str(tmp_path)]) == cli.INVALID
    assert "is a directory that is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_check_names_file_line_and_column_of_a_bad_row(tmp_path, capsys):
    review = tmp_path / "x"
    cli.main(["new", str(review)])
    sheet = review / "extraction.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",6,306,", ",600,306,", 1)  # Ferguson1949, BCG arm
    sheet.write_text("".join(lines))
    code, out, err = check(review, capsys)
    assert code == cli.INVALID and out == ""
    assert "extraction.csv, line 4 (Ferguson1949" in err and "events 600 exceed total 306" in err
    # the tutorial shows this message (included from the file)
    assert err == (ROOT / "docs/examples/check_error.txt").read_text()


def test_check_a_config_problem(tmp_path, capsys):
    review = tmp_path / "x"
    cli.main(["new", str(review)])
    config = review / "config.yaml"
    config.write_text(config.read_text().replace("control_arms: [CON]", "control_arms: [CONN]"))
    code, _, err = check(review, capsys)
    assert code == cli.INVALID
    assert "comparison/control_arms/0: arm 'CONN' is not in extraction.csv" in err
    assert "(did you mean 'CON'?)" in err and "config.yaml, line" in err


def test_check_reads_the_workflows_default_config_and_a_named_one(tmp_path, capsys):
    review = tmp_path / "x"
    cli.main(["new", str(review)])
    (review / "config").mkdir()
    (review / "config.yaml").rename(review / "config" / "config.yaml")
    assert check(review, capsys)[0] == cli.OK  # config/config.yaml, as snakemake reads it
    (review / "config" / "config.yaml").rename(review / "other.yaml")
    code, _, err = check(review, capsys)
    assert code == cli.INVALID and "config.yaml: config file not found" in err
    assert check(review, capsys, "--config", "other.yaml")[0] == cli.OK


def test_usage_errors_exit_with_2(tmp_path):
    assert run("check", str(tmp_path / "absent")).returncode == cli.USAGE
    assert run("check", "--no-such-option").returncode == cli.USAGE
    assert run().returncode == cli.USAGE  # a command is required


@pytest.mark.workflow
def test_a_new_review_runs_end_to_end(tmp_path):
    """The README's command for a review in another directory runs ``hatmeta new``'s review,
    risk-of-bias table included, from the first job to the report."""
    review = tmp_path / "x"
    assert run("new", str(review), "--risk-of-bias").returncode == 0
    snakemake("--cores", "2", "--directory", str(review), "--config", "review=config.yaml")
    results = review / "results"
    html = (results / "report/report.html").read_text()
    assert "<h1>BCG vaccine versus no vaccine</h1>" in html
    assert f"hatmeta <code>{RELEASE}</code>" in html
    certainty = pd.read_csv(results / "certainty/all/certainty.csv").set_index("analysis")
    # every trial's overall judgement is not_found: counted as some concerns, rated down
    assert (certainty["risk_of_bias_level"] == 1).all()
    assert list(pd.read_csv(results / "report/summary_of_findings.csv")["analysis"]) == [
        "tuberculosis",
        "tuberculosis_random",
    ]
