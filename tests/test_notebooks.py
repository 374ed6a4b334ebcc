"""The reviewing notebooks: jupytext sources, parameters, clear errors without results."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import ROOT

from hatmeta.notebooks import (
    inject_parameters,
    input_paths,
    project_root,
    python_literal,
    require,
)

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
    assert "project_root()" in code and "input_paths(" in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_takes_the_workflows_inputs(path):
    notebook = jupytext.read(path)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "config_file = " in tagged[0].source and "inputs = None" in tagged[0].source


def test_project_root_walks_up_to_the_snakefile(tmp_path):
    assert project_root(ROOT / "workflow" / "notebooks") == ROOT
    with pytest.raises(FileNotFoundError, match="no Snakefile"):
        project_root(tmp_path)


def test_require_names_the_missing_result(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        require(tmp_path, "results/fits/all/x/y/posterior.nc")
    assert str(err.value) == (
        "results/fits/all/x/y/posterior.nc not found: run `snakemake --cores 4` first"
    )


def test_input_paths_prefer_the_workflows(tmp_path):
    (tmp_path / "given.csv").write_text("x\n")
    (tmp_path / "default.csv").write_text("x\n")
    chosen = input_paths({"a": "given.csv"}, tmp_path, {"a": "default.csv"})
    assert chosen == {"a": tmp_path / "given.csv"}
    assert input_paths(None, tmp_path, {"a": ["default.csv"]}) == {"a": [tmp_path / "default.csv"]}
    with pytest.raises(FileNotFoundError, match=r"missing\.csv not found"):
        input_paths(None, tmp_path, {"a": "missing.csv"})


@pytest.mark.workflow
def test_notebooks_executed_by_the_workflow(small_run):
    for name in ("extraction_audit", "model_checks", "riott_sensitivity"):
        executed = nbformat.read(small_run / f"results/notebooks/{name}.ipynb", as_version=4)
        errors = [
            o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"
        ]
        assert errors == [], name
        injected = [
            c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
        ]
        assert len(injected) == 1 and "inputs" in injected[0].source
    audit = Path(small_run / "results/notebooks/extraction_audit.html").read_text()
    assert "mismatches: 0" in audit


def test_injected_parameters_follow_the_parameters_cell_as_python_literals():
    notebook = jupytext.reads(
        '# %%\nimport os\n\n# %% tags=["parameters"]\nx = 1\n\n# %%\nprint(x)\n',
        fmt="py:percent",
    )
    parameters = {
        "config_file": 'a "quoted" path\\with\u00e9',
        "inputs": {"tables": ["t1.csv", "t2.csv"], "audit": "audit.csv"},
        "draws": 1000,
        "share": None,
        "flag": True,
    }
    inject_parameters(notebook, parameters)
    inject_parameters(notebook, parameters)  # a second injection replaces the first
    tags = [c.metadata.get("tags", []) for c in notebook.cells]
    assert tags == [[], ["parameters"], ["injected-parameters"], []]
    namespace: dict = {}
    exec(notebook.cells[2].source, namespace)
    assert {k: namespace[k] for k in parameters} == parameters


def test_an_unsupported_parameter_is_refused():
    with pytest.raises(TypeError, match="set"):
        python_literal({1, 2})
