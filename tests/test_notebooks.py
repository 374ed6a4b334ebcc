"""The reviewing notebooks: jupytext sources, parameters, clear errors without results, and
what a reader of the executed HTML sees (no temporary paths, no printed docstrings, wide tables
in their own scroll box, nothing fetched from the network)."""

from __future__ import annotations

import inspect
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from conftest import ROOT

from hatmeta.docstrings import docstring_markdown
from hatmeta.notebooks import (
    HEADLESS,
    execute,
    inject_parameters,
    input_paths,
    interactive,
    parameter_line,
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


def table_outputs(notebook) -> list[str]:
    """The HTML of every table a notebook shows (its results, without images or timings)."""
    return [
        output["data"]["text/html"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "execute_result" and "text/html" in output.get("data", {})
    ]


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
        # Project-relative paths that exist: the notebook re-runs as it is, from the project.
        parameters: dict = {}
        exec(injected[0].source, parameters)
        assert parameters["config_file"] == f"results/notebooks/{name}.config.yaml"
        paths = [parameters["config_file"]]
        for value in parameters["inputs"].values():
            paths += [value] if isinstance(value, str) else value
        assert all(not Path(p).is_absolute() and (small_run / p).exists() for p in paths), paths
        config = yaml.safe_load((small_run / parameters["config_file"]).read_text())
        assert ("riott" in config) == (name == "riott_sensitivity")
        # Headless: no widget, only the default scenario's answer.
        assert "widgets" not in executed.metadata
        check_page((small_run / f"results/notebooks/{name}.html").read_text())
    audit = Path(small_run / "results/notebooks/extraction_audit.html").read_text()
    assert "mismatches: 0" in audit
    riott = Path(small_run / "results/notebooks/riott_sensitivity.html").read_text()
    page = NotebookPage(riott)  # the model's docstring rendered from Markdown, not printed
    assert "Assumptions, each a config setting" in "".join(page.markdown_outputs)
    assert "YOUR SCENARIO" in riott and riott.count('src="data:image/png;base64,') == 1


@pytest.mark.workflow
@pytest.mark.parametrize("name", ["extraction_audit", "model_checks", "riott_sensitivity"])
def test_an_executed_notebook_reruns_to_the_same_tables(small_run, name):
    """A reviewer re-running the executed notebook in Jupyter, in the folder it lies in (not the
    project root), gets the tables the workflow's run showed."""
    from nbclient import NotebookClient

    executed = small_run / f"results/notebooks/{name}.ipynb"
    shown = nbformat.read(executed, as_version=4)
    again = nbformat.read(executed, as_version=4)
    for cell in again.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(
        again, kernel_name="python3", resources={"metadata": {"path": str(executed.parent)}}
    ).execute(env={**os.environ, HEADLESS: "1"})
    assert table_outputs(again) == table_outputs(shown) != []


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


# --- what a reader of the executed HTML sees -----------------------------------------------

#: A numpydoc section heading, underlined: the mark of a docstring printed as text.
DOCSTRING_HEADING = re.compile(r"^\S[^\n]*\n-{3,}$", re.MULTILINE)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class NotebookPage(HTMLParser):
    """An exported notebook: each table with the classes of the elements around it, the text of
    each plain-text output and of the Markdown outputs, the style sheets, and the external
    resources the page loads."""

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[tuple[str, list[str]]] = []
        self.tables: list[list[str]] = []
        self.text_outputs: list[str] = []
        self.markdown_outputs: list[str] = []
        self.styles: list[str] = []
        self.external: list[str] = []
        self._text: list[str] | None = None
        self._style = False
        self.feed(html)

    def classes(self) -> list[str]:
        return [c for _, classes in self.stack for c in classes]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if tag in ("script", "link", "img") and re.match(r"https?:", attrs.get(name) or ""):
                self.external.append(attrs[name])
        if tag in VOID:
            return
        self.stack.append((tag, (attrs.get("class") or "").split()))
        if tag == "table":
            self.tables.append(self.classes())
        if tag == "pre" and "jp-RenderedText" in self.classes():
            self._text = []
        self._style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "pre" and self._text is not None:
            self.text_outputs.append("".join(self._text))
            self._text = None
        self._style = False
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if {"jp-RenderedMarkdown", "jp-OutputArea-output"} <= set(self.classes()):
            self.markdown_outputs.append(data)
        if self._style:
            self.styles.append(data)


def scrolling_boxes(page: NotebookPage) -> set[str]:
    """The classes the page's style sheets give ``overflow-x: auto``."""
    css = "\n".join(page.styles)
    return {
        name
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
        if re.search(r"overflow-x:\s*auto", body)
        for name in re.findall(r"^\s*\.([\w-]+)\s*$", selector)
    }


def check_page(html: str) -> NotebookPage:
    """What every executed notebook's HTML must be, for a reader opening it anywhere."""
    page = NotebookPage(html)
    assert "/tmp" not in html, re.findall(r".{60}/tmp.{60}", html)[:3]
    assert page.external == [], page.external
    printed = [t for t in page.text_outputs if DOCSTRING_HEADING.search(t)]
    assert printed == [], printed[0][:400] if printed else ""
    boxes = scrolling_boxes(page)
    assert "jp-OutputArea-output" in boxes
    assert page.tables and all(set(classes) & boxes for classes in page.tables)
    return page


def test_a_long_parameter_is_written_one_item_per_line():
    inputs = {name: f"results/{name}/{'x' * 30}.csv" for name in ("audit", "harmonised", "bank")}
    source = parameter_line("inputs", inputs)
    assert source.count("\n") == len(inputs) + 1
    assert all(len(line) <= 88 for line in source.splitlines())
    namespace: dict = {}
    exec(source, namespace)
    assert namespace["inputs"] == inputs
    assert parameter_line("x", [1, 2]) == "x = [1, 2]"


def test_docstrings_become_markdown():
    text = """Summary line.

    Section
    -------
    Uses ``alpha`` and :mod:`hatmeta.riott` with *care*::

        y = a * x   # aligned
          + b

    1. First item
       continued.
    2. Second.
    """
    markdown = docstring_markdown(inspect.cleandoc(text))
    assert "### Section" in markdown and "-------" not in markdown
    assert "`alpha`" in markdown and "`hatmeta.riott`" in markdown and "*care*" in markdown
    assert "```text\ny = a * x   # aligned\n  + b\n```" in markdown
    assert "1. First item continued." in markdown and "2. Second." in markdown


def test_interactive_unless_the_workflow_runs_it(monkeypatch):
    monkeypatch.delenv(HEADLESS, raising=False)
    assert interactive()
    monkeypatch.setenv(HEADLESS, "1")
    assert not interactive()


def test_an_executed_notebook_reads_well_offline(tmp_path):
    """execute() on a small notebook: headless, parameters injected, a wide table in its own
    scroll box, and an HTML page that loads nothing from the network."""
    source = tmp_path / "wide.py"
    source.write_text(
        "# %% [markdown]\n# # A wide table\n\n"
        '# %% tags=["parameters"]\nconfig_file = "config/config.yaml"\ninputs = None\n\n'
        "# %%\nimport pandas as pd\nfrom hatmeta.notebooks import interactive\n"
        'print("interactive:", interactive(), "config:", config_file)\n'
        'pd.DataFrame({f"a rather long column name {i}": [i] for i in range(30)})\n'
    )
    execute(
        source,
        tmp_path / "wide.ipynb",
        tmp_path / "wide.html",
        parameters={"config_file": "results/notebooks/wide.config.yaml", "inputs": {}},
        cwd=tmp_path,
    )
    html = (tmp_path / "wide.html").read_text()
    page = check_page(html)
    assert len(page.tables) == 1
    assert "interactive: False config: results/notebooks/wide.config.yaml" in html
