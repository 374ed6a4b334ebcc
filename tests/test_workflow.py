"""The Snakemake workflow itself: lint, DAG, other reviews end to end, reruns, stale results."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import (
    BCG_REVIEW,
    CONFIG,
    OTHER_REVIEW,
    ROOT,
    SMALL,
    SMALL_CONFIG_ARGS,
    project_workdir,
    review_copy,
    rule_scripts,
    snakemake,
    write_rows,
)

from hatmeta.codeprint import PackageCode
from hatmeta.config import load_settings, sensitivity_of

#: Lints we accept on purpose. The whole workflow runs in one uv-locked environment
#: (uv.lock), so per-rule conda environments would duplicate the lock file; the registries
#: this project is built against serve PyPI, not conda channels.
ACCEPTED_LINTS = {"Specify a conda environment or container for each rule."}
#: Words of this project's review, which no other review's report may contain.
DOMAIN_WORDS = re.compile(r"heroin|methadone|riott", re.IGNORECASE)


def run_review(review: Path, *args: str, check: bool = True):
    """Run a review the way README says, from the repository root."""
    return snakemake(
        "--directory", str(review), "--config", "review=config.yaml", *args, check=check
    )


def test_lint_reports_only_accepted_lints():
    result = snakemake("--lint", check=False)
    output = result.stdout + result.stderr
    found = set(re.findall(r"^\s+\* (.+?):$", output, flags=re.MULTILINE))
    assert "Lints for rule extract" in output or result.returncode == 0
    assert found <= ACCEPTED_LINTS, f"unexpected lints: {found - ACCEPTED_LINTS}\n{output}"


def test_dry_run_shows_the_dag():
    result = snakemake("--forceall", "--dag")
    assert re.search(r'label = "extract"', result.stdout)


def test_a_reviews_config_stands_alone(tmp_path):
    """Another review's config is not merged into this project's: none of our analyses, priors
    or RIOTT section appear in its DAG."""
    review = review_copy(OTHER_REVIEW, tmp_path / "review")
    result = run_review(review, "-n", "--quiet", "rules")
    # Snakemake's own --configfile reads the same way.
    via_configfile = snakemake(
        "--configfile", str(review / "config.yaml"), "--directory", str(review), "-n", "--quiet",
        "rules",
    )  # fmt: skip
    assert job_counts(via_configfile.stdout) == job_counts(result.stdout) != {}
    output = result.stdout + result.stderr
    assert "riott" not in output and "published_comparison" not in output
    assert "fit" in output and "report" in output


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("review", "title", "arms"),
    [
        (OTHER_REVIEW, "BUP versus PLA", ("BUP", "PLA")),
        (BCG_REVIEW, "BCG vaccine versus no vaccine", ("BCG vaccine", "no vaccine")),
    ],
    ids=["synthetic", "bcg"],
)
def test_another_review_end_to_end(tmp_path, review, title, arms):
    review = review_copy(review, tmp_path / "review")
    run_review(review, "--cores", "2")
    results = review / "results"
    html = (results / "report/report.html").read_text()
    assert f"<h1>{title}</h1>" in html
    assert all(arm in html for arm in arms)
    assert DOMAIN_WORDS.search(html) is None, DOMAIN_WORDS.search(html)
    for notebook in ("extraction_audit", "model_checks"):
        assert (results / f"notebooks/{notebook}.html").stat().st_size > 0
    assert not (results / "notebooks/riott_sensitivity.html").exists()
    assert not (results / "sensitivity").exists()
    # Two treatments and no networks configured: no network stage, no network section.
    assert not (results / "network").exists()
    assert not (results / "report/network_summary_of_findings.csv").exists()
    assert 'id="network"' not in html and "network-sof" not in html
    sof = pd.read_csv(results / "report/summary_of_findings.csv")
    assert list(sof["analysis"]) == list(
        yaml.safe_load((review / "config.yaml").read_text())["analyses"]
    )
    assert all(arms[0] in statement for statement in sof["comments"])
    if "BCG" in title:
        certainty = pd.read_csv(results / "certainty/all/certainty.csv").set_index("analysis")
        every = certainty.loc["tuberculosis"]
        # 13 trials: the funnel test is run (metafor's regtest, see test_certainty), 7: not
        assert every["publication_bias"] != "not assessed" and every["publication_bias_p"] > 0
        assert "Regression test for funnel asymmetry over 13 trials" in every["footnotes"]
        assert certainty.at["tuberculosis_random", "publication_bias"] == "not assessed"
        assert every["risk_of_bias"] == "not assessed"  # no risk-of-bias file for BCG
        assert "BCG vaccine" in every["statement"] and "tuberculosis" in every["statement"]
        assert "Funnel plot" in html and "Summary of findings" in html
    assert "nothing to be done" in run_review(review, "-n").stdout.lower()


@pytest.mark.workflow
def test_malformed_sheet_fails_fast_and_leaves_nothing(tmp_path, sheet_rows):
    bad = [dict(row) for row in sheet_rows]
    bad[10]["events"] = "-1"
    sheet = write_rows(tmp_path / "extraction.csv", bad)
    (tmp_path / "override.yaml").write_text(yaml.safe_dump({"data": {"extraction": str(sheet)}}))
    workdir = project_workdir(tmp_path / "run")
    result = snakemake(
        "--configfile", str(CONFIG), str(tmp_path / "override.yaml"), "--cores", "2",
        "extract", cwd=workdir, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"{sheet}, line 12" in result.stderr and "column 'events'" in result.stderr
    outputs = [p for p in (workdir / "results").rglob("*") if p.is_file()]
    assert outputs == []


@pytest.mark.workflow
def test_malformed_config_names_the_key(tmp_path):
    (tmp_path / "override.yaml").write_text(yaml.safe_dump({"sampler": {"chains": "four"}}))
    workdir = project_workdir(tmp_path / "run")
    result = snakemake(
        "--configfile", str(CONFIG), str(tmp_path / "override.yaml"), "-n", cwd=workdir,
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "sampler/chains: 'four' is not of type 'integer'" in output


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    table = dry_run_output.split("Job stats:", 1)[-1]
    counts = {}
    for line in table.splitlines():
        parts = line.split()
        # Rule names only: job details (`jobid: 0`) may follow the table.
        if len(parts) == 2 and parts[0].isidentifier() and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    counts.pop("total", None)
    return counts


@pytest.mark.workflow
def test_pipeline_produces_fits_classical_figures_and_sensitivity(small_run):
    results = small_run / "results"
    for evidence in ("all", "reported_only"):
        for prior in ("half_normal_0.5", "half_normal_1", "turner2015"):
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
    assert "derived: 1477 = 174 + 62 + 1015 + 226" in comparison  # mortality's trial set
    assert "differs: 1.22 to 1.73 here, 1.19 to 1.75 published" in comparison
    assert (results / "figures/all/forest_illicit_heroin.png").stat().st_size > 10_000
    sentences = (results / "sensitivity/sentences.txt").read_text()
    assert "RIOTT's 95% credible interval" in sentences and "depends on" in sentences
    structural = pd.read_csv(results / "sensitivity/structural.csv")
    assert set(structural["sigma_provide"]) == {0.5, 1.0} and len(structural) == 8
    assert "nothing to be done" in snakemake(*SMALL_CONFIG_ARGS, "-n", cwd=small_run).stdout.lower()


@pytest.mark.workflow
def test_missing_positive_reproduces_published_riott_counts(small_run):
    riott = pd.read_csv(small_run / "results/sensitivity/missing_positive/riott.csv").iloc[0]
    for arm, published in (("heroin", 31), ("methadone", 11)):
        assert riott[f"responders_{arm}_lower"] == riott[f"responders_{arm}_upper"] == published
    scenarios = pd.read_csv(small_run / "results/sensitivity/scenarios.csv").set_index("scenario")
    # the published unadjusted OR is 7.42 (2.69 to 20.46); RIOTT alone under the model's priors
    assert scenarios.at["missing_positive", "riott_or_median"] == pytest.approx(7.4, rel=0.1)


def edited_config(workdir: Path, edit) -> str:
    """The small run's config (real config, small override merged as Snakemake merges them)
    with ``edit`` applied, as one stand-alone file: an override file cannot remove a section
    or a scenario."""
    from snakemake.utils import update_config

    config = yaml.safe_load(CONFIG.read_text())
    update_config(config, yaml.safe_load(SMALL.read_text()))
    edit(config)
    path = workdir / "edited.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


@pytest.mark.workflow
def test_editing_one_scenario_reruns_only_its_jobs(small_run):
    def edit(config):
        config["riott"]["scenarios"]["informative_half"]["imor_methadone"] = 2.0

    result = snakemake("--configfile", edited_config(small_run, edit), "-n", cwd=small_run)
    counts = job_counts(result.stdout + result.stderr)
    assert counts.get("riott_scenario") == 1 and counts.get("riott_scenarios_pooled") == 1
    assert "informative_half" in result.stdout + result.stderr
    unchanged = {"extract", "fit", "classical", "figures", "riott_bank", "riott_cells"}
    unchanged |= {"riott_cells_pooled", "riott_figures"}
    assert not unchanged & set(counts), counts


@pytest.mark.workflow
def test_overriding_a_domain_reruns_only_certainty_and_report(small_run):
    def edit(config):
        config["certainty"]["overrides"] = {
            "retention": {"risk_of_bias": {"level": 0, "reason": "the panel's own reading"}}
        }

    result = snakemake("--configfile", edited_config(small_run, edit), "-n", cwd=small_run)
    counts = job_counts(result.stdout + result.stderr)
    assert counts.get("certainty") == 2 and counts.get("report") == 1, counts
    upstream = {"extract", "fit", "classical", "figures", "notebook", "published_comparison"}
    assert not upstream & set(counts) and not any(rule.startswith("riott") for rule in counts)


@pytest.mark.workflow
def test_the_report_opens_with_the_grade_summary_of_findings(small_run):
    results = small_run / "results"
    sof = pd.read_csv(results / "report/summary_of_findings.csv").set_index("analysis")
    certainty = pd.read_csv(results / "certainty/all/certainty.csv").set_index("analysis")
    # Every analysis has a row, but a sensitivity analysis whose fit pooled exactly its primary
    # analysis's trials: its primary's row says that it changes nothing.
    settings = load_settings(CONFIG)
    copies = {}
    for name, primary in sensitivity_of(settings.analyses).items():
        trials = [
            pd.read_csv(results / f"fits/all/{n}/{settings.analyses[n].primary_prior}/trials.csv")
            for n in (name, primary)
        ]
        if len(trials[0]) and trials[0].equals(trials[1]):
            copies[name] = primary
    assert copies, "the real config has sensitivity analyses that add no trial with counts"
    assert list(sof.index) == [name for name in certainty.index if name not in copies]
    for name, primary in copies.items():
        assert f'"{settings.analyses[name].title}"' in sof.at[primary, "comments"]
        assert "changes nothing" in sof.at[primary, "comments"]
    assert (results / "report/bayesian_summary.csv").stat().st_size > 0
    html = (results / "report/report.html").read_text()
    assert html.index('id="grade"') < html.index('id="summary"')
    retention = certainty.loc["retention"]
    assert (
        retention["symbols"] in html
        and retention["risk_difference"] in sof.at["retention", "risk_difference"]
    )
    # serious adverse events are counts of events: rated from the rate model, its numbers
    rates = pd.read_csv(results / "fits/all/sae/rates.csv").set_index("quantity")
    sae = certainty.loc["sae"]
    assert sae["effect_measure"] == "rate ratio" and sof.at["sae", "certainty"] != "not rated"
    for stat in ("median", "lower", "upper"):
        assert sae[f"rate_ratio_{stat}"] == pytest.approx(rates.at["rate_ratio", stat])
        assert sae[f"rate_difference_{stat}"] == pytest.approx(rates.at["rate_difference", stat])
    assert sae["control_rate"] == pytest.approx(rates.at["rate_control", "median"])
    assert sof.at["sae", "relative_effect"].startswith("Rate ratio ")
    assert "events per 100 person-years" in sof.at["sae", "risk_with_control"]
    assert "Person-time approximated" in sof.at["sae", "footnotes"]  # no trial published it


@pytest.mark.workflow
def test_same_config_gives_identical_summary_tables(small_run):
    target = "results/fits/all/retention/half_normal_0.5/summary.csv"
    before = (small_run / target).read_bytes()
    snakemake(*SMALL_CONFIG_ARGS, "--cores", "2", "--forcerun", "fit", target, cwd=small_run)
    assert (small_run / target).read_bytes() == before


def flagging_review(tmp_path: Path, on_failure: str) -> Path:
    review = review_copy(OTHER_REVIEW, tmp_path / "review")
    config = yaml.safe_load((review / "config.yaml").read_text())
    # An unreachable ESS threshold makes every fit fail its convergence checks.
    config["diagnostics"] = {"ess_bulk_min": 10**9, "on_failure": on_failure}
    (review / "config.yaml").write_text(yaml.safe_dump(config))
    return review


@pytest.mark.workflow
def test_failing_fit_stops_with_a_message_naming_fit_prior_and_check(tmp_path):
    review = flagging_review(tmp_path, "stop")
    target = "results/fits/all/abstinence/half_normal_0.5/summary.csv"
    result = run_review(review, "--cores", "2", target, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "fit 'all/abstinence' with prior 'half_normal_0.5' failed convergence checks" in output
    assert "ess_bulk" in output
    assert not (review / target).exists()


@pytest.mark.workflow
def test_failing_fit_is_flagged_when_config_says_so(tmp_path):
    review = flagging_review(tmp_path, "flag")
    target = "results/fits/all/abstinence/half_normal_0.5/diagnostics.json"
    run_review(review, "--cores", "2", target)
    diagnostics = json.loads((review / target).read_text())
    assert diagnostics["status"] == "flagged"
    assert any("ess_bulk" in failure for failure in diagnostics["failures"])


@pytest.mark.workflow
def test_report_notebooks_and_snakemake_report_archive(small_run):
    results = small_run / "results"
    html = (results / "report/report.html").read_text()
    summary = pd.read_csv(results / "fits/all/retention/half_normal_0.5/summary.csv")
    pooled_or = summary.set_index("quantity").at["OR", "median"]
    assert f"{pooled_or:.2f}" in html
    for notebook in ("extraction_audit", "model_checks", "riott_sensitivity"):
        assert (results / f"notebooks/{notebook}.ipynb").stat().st_size > 0
        assert (results / f"notebooks/{notebook}.html").stat().st_size > 0
    archive = small_run / "workflow-report.zip"
    snakemake(*SMALL_CONFIG_ARGS, "--report", str(archive), cwd=small_run)
    assert archive.stat().st_size > 100_000


@pytest.mark.workflow
def test_removed_results_are_not_reported(small_run, tmp_path):
    """After a full run, a scenario and then the whole missing-test section are removed from
    the config: the report no longer shows them, whatever files remain under results/."""
    run = tmp_path / "run"
    shutil.copytree(small_run, run, symlinks=True)
    results = run / "results"
    assert "worst_case" in (results / "report/report.html").read_text()

    def without_scenario(config):
        del config["riott"]["scenarios"]["worst_case"]

    snakemake("--configfile", edited_config(run, without_scenario), "--cores", "2", cwd=run)
    html = (results / "report/report.html").read_text()
    assert "worst_case" not in html and "missing_at_random" in html
    assert (results / "sensitivity/worst_case/riott.csv").exists()  # stale, but not shown

    def without_riott(config):
        del config["riott"]

    snakemake("--configfile", edited_config(run, without_riott), "--cores", "2", cwd=run)
    html = (results / "report/report.html").read_text()
    assert 'id="riott"' not in html and "RIOTT missing-test" not in html
    assert "missing_at_random" not in html
    assert (results / "sensitivity/scenarios.csv").exists()  # stale, but not shown


# ---------------------------------------------------------------- results follow the library


def edit_function(path: Path) -> None:
    """Change the module's first function: one statement more at the top of its body (after
    its docstring), as an upgrade of the library would change it."""
    lines = path.read_text().splitlines(keepends=True)
    function = next(
        n for n in ast.walk(ast.parse("".join(lines))) if isinstance(n, ast.FunctionDef)
    )
    body = function.body
    docstring = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    target = body[1] if docstring and len(body) > 1 else body[0]
    lines.insert(target.lineno - 1, " " * target.col_offset + "_upgraded = True\n")
    path.write_text("".join(lines))


def reasons(dry_run_output: str) -> dict[str, list[str]]:
    """Rule -> the reason line of each of its jobs in a dry run."""
    found: dict[str, list[str]] = {}
    for rule, reason in re.findall(
        r"^(?:local)?rule (\w+):\n(?:\s+\w+:.*\n)*?\s+reason: (.*)$", dry_run_output, re.M
    ):
        found.setdefault(rule, []).append(reason)
    return found


def upstream_rules(dag_dot: str, rule: str) -> set[str]:
    """The rules of every job the jobs of ``rule`` need, from `snakemake --dag` output."""
    labels = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)', dag_dot, re.M))  # rule, then wildcards
    needs: dict[str, set[str]] = {}
    for source, target in re.findall(r"^\s*(\d+) -> (\d+)", dag_dot, re.M):
        needs.setdefault(target, set()).add(source)
    stack = [node for node, label in labels.items() if label == rule]
    seen: set[str] = set()
    while stack:
        for source in needs.get(stack.pop(), ()):
            if source not in seen:
                seen.add(source)
                stack.append(source)
    return {labels[node] for node in seen}


@pytest.fixture
def upgradable_run(small_run, tmp_path):
    """A copy of the small run and of the library that wrote it, the copy first on the Python
    path (of the workflow and of its jobs): editing it is upgrading the library under finished
    results."""
    run = tmp_path / "run"
    shutil.copytree(small_run, run, symlinks=True)
    checkout = tmp_path / "checkout"  # laid out as the repository: config/ beside src/
    package = checkout / "src" / "hatmeta"
    shutil.copytree(ROOT / "src" / "hatmeta", package, ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "config").symlink_to(ROOT / "config")
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    return run, package, env


@pytest.mark.workflow
def test_library_edits_rerun_exactly_the_jobs_whose_code_changed(upgradable_run):
    run, package, env = upgradable_run
    scripts = ROOT / "workflow" / "scripts"

    def dry_run(*args: str) -> str:
        result = snakemake(*SMALL_CONFIG_ARGS, "-n", *args, cwd=run, env=env)
        return result.stdout + result.stderr

    # The same code elsewhere (a fresh clone, another checkout) re-runs nothing.
    assert "nothing to be done" in dry_run().lower()

    # Comments and blank lines re-run nothing (fingerprints hash the syntax tree).
    model = package / "bayes" / "model.py"
    original_model = model.read_text()
    model.write_text("# reformatted\n\n" + original_model.replace("\ndef ", "\n# why\n\n\ndef "))
    assert "nothing to be done" in dry_run().lower()
    model.write_text(original_model)

    # The report's template: the report alone (no notebook renders it).
    template = package / "report" / "templates" / "report.html.j2"
    template.write_text(template.read_text().replace("<h2>Provenance</h2>", "<h2>Origins</h2>"))
    report_code = PackageCode(package).fingerprint(scripts / "report.py")
    output = dry_run()
    assert job_counts(output) == {"report": 1, "all": 1}, output
    [reason] = reasons(output)["report"]
    assert "Params have changed since last execution" in reason and report_code in reason

    # A function of the report's formatting: the report, and the one notebook that shows its
    # tables as the report formats them (the RIOTT notebook, through hatmeta.riott.explore).
    edit_function(package / "report" / "format.py")
    report_code = PackageCode(package).fingerprint(scripts / "report.py")
    output = dry_run()
    assert job_counts(output) == {"report": 1, "notebook": 1, "all": 1}, output
    assert "results/notebooks/riott_sensitivity.ipynb" in output
    [reason] = reasons(output)["report"]
    assert "Params have changed since last execution" in reason and report_code in reason

    # Run it: the report says which code wrote it, and the run is then up to date.
    snakemake(*SMALL_CONFIG_ARGS, "--cores", "2", cwd=run, env=env)
    provenance = json.loads((run / "results/report/provenance.json").read_text())
    assert provenance["code_fingerprints"]["report"] == report_code
    html = (run / "results/report/report.html").read_text()
    assert "<h2>Origins</h2>" in html and report_code in html
    assert "nothing to be done" in dry_run().lower()

    # The model: the fit job and everything downstream of it (figures, certainty, the notebook
    # that imports the model, the report), and the rate model's job and the network jobs (one
    # per evidence set), whose models are built from the same module (the heterogeneity
    # priors); nothing upstream or beside them.
    edit_function(model)
    output = dry_run()
    counts = job_counts(output)
    expected = {"fit": 1, "rate_fit": 1, "figures": 2, "certainty": 2, "notebook": 1}
    expected["network"] = 2
    assert counts == expected | {"report": 1, "all": 1}, output
    found = reasons(output)
    fit_code = PackageCode(package).fingerprint(scripts / "fit.py")
    assert "Params have changed since last execution" in found["fit"][0]
    assert fit_code in found["fit"][0]
    rate_code = PackageCode(package).fingerprint(scripts / "rate_fit.py")
    assert "Params have changed since last execution" in found["rate_fit"][0]
    assert rate_code in found["rate_fit"][0]
    assert "results/notebooks/model_checks.ipynb" in output
    assert all("Input files updated by another job" in r for r in found["figures"])
    # Snakemake names an updated input before, and instead of, changed params; with the fit
    # held back, the notebook's own reason shows: the model it imports itself.
    output = dry_run("--allowed-rules", "notebook")
    notebook_code = PackageCode(package).fingerprint(
        scripts / "run_notebook.py", ROOT / "workflow/notebooks/model_checks.py"
    )
    [reason] = reasons(output)["notebook"]
    assert "Params have changed since last execution" in reason and notebook_code in reason


@pytest.mark.workflow
def test_provenance_names_the_code_behind_every_result_the_report_shows(small_run):
    """The report records a fingerprint for exactly the stages its inputs come from (checked
    against the DAG, so a new stage cannot be left out), each that of the stage's script."""
    fingerprints = json.loads((small_run / "results/report/provenance.json").read_text())[
        "code_fingerprints"
    ]
    dag = snakemake(*SMALL_CONFIG_ARGS, "--forceall", "--dag", cwd=small_run).stdout
    assert set(fingerprints) == upstream_rules(dag, "report") | {"report"}
    library, scripts = PackageCode.installed(), rule_scripts()
    html = (small_run / "results/report/report.html").read_text()
    for stage, fingerprint in fingerprints.items():
        assert fingerprint == library.fingerprint(ROOT / "workflow/scripts" / scripts[stage])
        assert f"<td>{stage}</td><td><code>{fingerprint}</code></td>" in html
