"""The reviewing notebooks: jupytext sources, parameters, clear errors without results."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import ROOT

from hatmeta import report

NOTEBOOKS = sorted((ROOT / "workflow" / "notebooks").glob("*.py"))


def test_the_three_notebooks_exist():
    names = {path.stem for path in NOTEBOOKS}
    assert names >= {"extraction_audit", "model_checks", "riott_sensitivity"}
    assert not list((ROOT / "workflow" / "notebooks").glob("*.ipynb")), "commit .py files only"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_sources_are_py_percent_and_valid(path):
    notebook = jupytext.read(path)
    nbformat.validate(notebook)
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    assert notebook.cells[0].cell_type == "markdown"
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    compile(code.replace("display(", "print("), str(path), "exec")
    assert "project_root()" in code and "require(" in code


@pytest.mark.parametrize("name", ["model_checks", "riott_sensitivity"])
def test_parameterised_notebooks_have_a_parameters_cell(name):
    notebook = jupytext.read(ROOT / "workflow" / "notebooks" / f"{name}.py")
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    report.inject_parameters(notebook, {"analysis": "mortality"})
    index = notebook.cells.index(tagged[0])
    assert notebook.cells[index + 1].source.endswith("analysis = 'mortality'")


def test_project_root_walks_up_to_the_snakefile(tmp_path):
    assert report.project_root(ROOT / "workflow" / "notebooks") == ROOT
    with pytest.raises(FileNotFoundError, match="no Snakefile"):
        report.project_root(tmp_path)


def test_require_names_the_missing_result(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        report.require(tmp_path, "results/fits/all/x/y/posterior.nc")
    assert str(err.value) == (
        "results/fits/all/x/y/posterior.nc not found: run `snakemake --cores 4` first"
    )


@pytest.mark.workflow
def test_extraction_audit_notebook_executes(tmp_path):
    if not (ROOT / "results" / "data" / "audit.csv").exists():
        pytest.skip("results/data/audit.csv not found: run `snakemake --cores 4` first")
    seconds = report.execute_notebook(
        ROOT / "workflow" / "notebooks" / "extraction_audit.py",
        tmp_path / "audit.ipynb",
        tmp_path / "audit.html",
        cwd=ROOT,
    )
    executed = nbformat.read(tmp_path / "audit.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == [] and seconds < 300
    assert "mismatches: 0" in Path(tmp_path / "audit.html").read_text()
