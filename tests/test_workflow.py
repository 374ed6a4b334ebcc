"""The Snakemake workflow itself: lint, DAG, and the extract stage end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import (
    OTHER_REVIEW,
    absolute_data_paths,
    snakemake,
    workdir_with_config,
    write_rows,
)

#: Lints we accept on purpose. The whole workflow runs in one uv-locked environment
#: (uv.lock), so per-rule conda environments would duplicate the lock file; the registries
#: this project is built against serve PyPI, not conda channels.
ACCEPTED_LINTS = {"Specify a conda environment or container for each rule."}


def other_review(tmp_path: Path) -> Path:
    config = yaml.safe_load((OTHER_REVIEW / "config.yaml").read_text())
    return workdir_with_config(tmp_path, absolute_data_paths(config))


def test_lint_reports_only_accepted_lints():
    result = snakemake("--lint", check=False)
    output = result.stdout + result.stderr
    found = set(re.findall(r"^\s+\* (.+?):$", output, flags=re.MULTILINE))
    assert "Lints for rule extract" in output or result.returncode == 0
    assert found <= ACCEPTED_LINTS, f"unexpected lints: {found - ACCEPTED_LINTS}\n{output}"


def test_dry_run_shows_the_dag():
    result = snakemake("--forceall", "--dag")
    assert re.search(r'label = "extract"', result.stdout)


@pytest.mark.workflow
def test_extract_stage_on_another_review(tmp_path):
    workdir = other_review(tmp_path)
    snakemake("--configfile", "config.yaml", "--cores", "2", "extract", cwd=workdir)
    audit = (workdir / "results/data/audit.csv").read_text()
    assert "ALPHA2001" in audit and "round(50.0% x 60) = 30" in audit
    assert (workdir / "results/data/analyses/reported_only/abstinence.csv").exists()


@pytest.mark.workflow
def test_malformed_sheet_fails_fast_and_leaves_nothing(tmp_path, sheet_rows, project_config):
    bad = [dict(row) for row in sheet_rows]
    bad[10]["events"] = "-1"
    sheet = write_rows(tmp_path / "extraction.csv", bad)
    config = {**project_config, "data": {**project_config["data"], "extraction": str(sheet)}}
    workdir = workdir_with_config(tmp_path, config)
    result = snakemake(
        "--configfile", "config.yaml", "--cores", "2", "extract", cwd=workdir, check=False
    )
    assert result.returncode != 0
    assert f"{sheet}, line 12" in result.stderr and "column 'events'" in result.stderr
    outputs = [p for p in (workdir / "results").rglob("*") if p.is_file()]
    assert outputs == []


@pytest.mark.workflow
def test_malformed_config_names_the_key(tmp_path, project_config):
    config = {**project_config, "sampler": {**project_config["sampler"], "chains": "four"}}
    workdir = workdir_with_config(tmp_path, config)
    result = snakemake("--configfile", "config.yaml", "-n", cwd=workdir, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "['sampler']['chains']" in output and "'four' is not of type 'integer'" in output


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    table = dry_run_output.split("Job stats:", 1)[-1]
    counts = {}
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.workflow
def test_pipeline_produces_fits_classical_figures_and_sensitivity(small_run):
    results = small_run / "results"
    for evidence in ("all", "reported_only"):
        for prior in ("half_normal_0.5", "half_normal_1"):
            fit = results / "fits" / evidence / "retention" / prior
            assert {p.name for p in fit.iterdir()} >= {
                "posterior.nc",
                "summary.csv",
                "diagnostics.json",
                "loo.csv",
                "trials.csv",
            }
    diagnostics = json.loads(
        (results / "fits/all/illicit_heroin/half_normal_1/diagnostics.json").read_text()
    )
    assert diagnostics["status"] == "passed" and diagnostics["divergences"] == 0
    comparison = (results / "classical/published_comparison.csv").read_text()
    assert "same 1388 participants" in comparison
    assert (results / "figures/all/forest_illicit_heroin.png").stat().st_size > 10_000
    assert (
        "RIOTT's 95% credible interval"
        in (results / "sensitivity/tipping/tipping_sentence.txt").read_text()
    )


@pytest.mark.workflow
def test_missing_positive_reproduces_published_riott_counts(small_run):
    import pandas as pd

    riott = pd.read_csv(small_run / "results/sensitivity/missing_positive/riott.csv")
    riott = riott.set_index("quantity")
    for quantity, published in (("responders_treatment", 31), ("responders_control", 11)):
        assert riott.at[quantity, "lower"] == riott.at[quantity, "upper"] == published


@pytest.mark.workflow
def test_editing_one_scenario_reruns_only_its_jobs(small_run):
    config = yaml.safe_load((small_run / "config.yaml").read_text())
    config["riott"]["scenarios"]["missing_at_random"]["imor_methadone"] = 2.0
    (small_run / "edited.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = snakemake("--configfile", "edited.yaml", "-n", cwd=small_run)
    counts = job_counts(result.stdout + result.stderr)
    assert counts.get("riott_scenario") == 1
    assert "missing_at_random" in result.stdout + result.stderr
    assert not {"extract", "fit", "riott_grid", "classical", "figures"} & set(counts)
    assert counts.get("riott_pooled") == 1


@pytest.mark.workflow
def test_same_config_gives_identical_summary_tables(small_run):
    target = "results/fits/all/retention/half_normal_0.5/summary.csv"
    before = (small_run / target).read_bytes()
    snakemake(
        "--configfile", "config.yaml", "--cores", "2", "--forcerun", "fit", target, cwd=small_run
    )
    assert (small_run / target).read_bytes() == before


def flagging_config(on_failure: str) -> dict:
    config = yaml.safe_load((OTHER_REVIEW / "config.yaml").read_text())
    # An unreachable ESS threshold makes every fit fail its convergence checks.
    config["diagnostics"] = {"ess_bulk_min": 10**9, "on_failure": on_failure}
    config["priors"]["heterogeneity"] = {"half_normal_0.5": {"family": "half_normal", "scale": 0.5}}
    return absolute_data_paths(config)


@pytest.mark.workflow
def test_failing_fit_stops_with_a_message_naming_fit_prior_and_check(tmp_path):
    workdir = workdir_with_config(tmp_path, flagging_config("stop"))
    target = "results/fits/all/abstinence/half_normal_0.5/summary.csv"
    result = snakemake(
        "--configfile", "config.yaml", "--cores", "2", target, cwd=workdir, check=False
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "fit 'all/abstinence' with prior 'half_normal_0.5' failed convergence checks" in output
    assert "ess_bulk" in output
    assert not (workdir / target).exists()


@pytest.mark.workflow
def test_failing_fit_is_flagged_when_config_says_so(tmp_path):
    workdir = workdir_with_config(tmp_path, flagging_config("flag"))
    target = "results/fits/all/abstinence/half_normal_0.5/diagnostics.json"
    snakemake("--configfile", "config.yaml", "--cores", "2", target, cwd=workdir)
    diagnostics = json.loads((workdir / target).read_text())
    assert diagnostics["status"] == "flagged"
    assert any("ess_bulk" in failure for failure in diagnostics["failures"])


@pytest.mark.workflow
def test_report_notebooks_and_snakemake_report_archive(small_run):
    import pandas as pd

    results = small_run / "results"
    html = (results / "report/report.html").read_text()
    summary = pd.read_csv(results / "fits/all/retention/half_normal_0.5/summary.csv")
    pooled_or = summary.set_index("quantity").at["OR", "median"]
    assert f"{pooled_or:.2f}" in html
    for notebook in ("extraction_audit", "model_checks", "riott_sensitivity"):
        assert (results / f"notebooks/{notebook}.ipynb").stat().st_size > 0
        assert (results / f"notebooks/{notebook}.html").stat().st_size > 0
    archive = small_run / "workflow-report.zip"
    snakemake("--configfile", "config.yaml", "--report", str(archive), cwd=small_run)
    assert archive.stat().st_size > 100_000
