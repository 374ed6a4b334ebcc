"""The reviewing notebooks: executed by the workflow, opened interactively by reviewers.

The sources are jupytext ``py:percent`` files (readable diffs). The workflow executes them with
nbclient in the environment's ``python3`` kernel, with the run's parameters (the config file and
the paths of the results the rule declares, all relative to the project) in a cell tagged
``injected-parameters`` after the cell tagged ``parameters``, as papermill lays it out, and
exports the executed notebook to HTML (wide tables scroll in their own box, nothing is fetched
from the network). The config file is the one the rule writes beside the notebook
(``results/notebooks/{notebook}.config.yaml``), so that the executed notebook, re-run in
Jupyter, reads what the workflow's run read.
nbclient directly rather than through papermill: papermill adds only that cell and its own
metadata, for half a second of imports and bookkeeping per notebook.
Opened interactively, a notebook keeps its own defaults: :func:`project_root` finds the
project, :func:`require` names the first result that is missing, and :func:`interactive` tells
it that a person is there to move its controls.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Set to "1" in the kernel's environment by :func:`execute`: nobody is there to move a control.
HEADLESS = "HATMETA_NOTEBOOK_HEADLESS"
#: Parameters longer than this are written one item per line in the injected cell.
LINE = 88
#: The HTML export: JupyterLab's look, without the scripts it would fetch from the network
#: (require.js for widgets, MathJax; the notebooks need neither), and output tables wider than
#: the page scroll inside their own box, with a scrollbar that shows.
EXPORT_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}
<style type="text/css" id="hatmeta-tables">
  .jp-OutputArea-output { overflow-x: auto; max-width: 100%; }
  .jp-OutputArea-output::-webkit-scrollbar { height: 10px; }
  .jp-OutputArea-output::-webkit-scrollbar-thumb { background: #b0b0b0; border-radius: 5px; }
  .jp-OutputArea-output::-webkit-scrollbar-track { background: #f0f0f0; }
  .jp-RenderedHTMLCommon .highlight pre { font-family: var(--jp-code-font-family, monospace);
    font-size: var(--jp-code-font-size, 13px); background: var(--jp-layout-color2, #f5f5f5);
    padding: 0.4em 0.6em; }
</style>
{% endblock extra_css %}
"""


class ResultsMissing(FileNotFoundError):
    """A notebook input is not there yet; the message says how to make it."""


def project_root(start: str | Path | None = None) -> Path:
    """The project root: the first directory at or above ``start`` with a ``Snakefile`` or a
    ``results`` directory (a workflow run in another working directory has only the latter)."""
    here = Path(start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Snakefile").exists() or (directory / "results").is_dir():
            return directory
    raise ResultsMissing(f"no Snakefile at or above {here}: open the notebook inside the repo")


def require(root: str | Path, *paths: str | Path) -> list[Path]:
    """Absolute paths of results a notebook needs; a clear error naming the first missing one."""
    out = []
    for rel in paths:
        path = Path(root) / rel
        if not path.exists():
            raise ResultsMissing(f"{rel} not found: run `snakemake --cores 4` first")
        out.append(path)
    return out


def python_literal(value: Any) -> str:
    """``value`` (None, bool, number, string, or lists and dicts of them) as Python source."""
    if isinstance(value, Mapping):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, str):
        # JSON's double-quoted string is also a Python string literal (papermill's style).
        return json.dumps(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"notebook parameter of type {type(value).__name__}: {value!r}")


def interactive() -> bool:
    """Whether a person runs the notebook (in Jupyter), rather than the workflow's headless
    execution (:func:`execute`): a notebook shows its controls only then."""
    return os.environ.get(HEADLESS) != "1"


def parameter_line(name: str, value: Any) -> str:
    """``name = value`` as Python source; a long mapping or list one item per line."""
    line = f"{name} = {python_literal(value)}"
    if len(line) <= LINE or not isinstance(value, Mapping | list | tuple):
        return line
    if isinstance(value, Mapping):
        items = [f"    {python_literal(k)}: {python_literal(v)}," for k, v in value.items()]
        return "\n".join([f"{name} = {{", *items, "}"])
    return "\n".join([f"{name} = [", *(f"    {python_literal(v)}," for v in value), "]"])


def inject_parameters(notebook, parameters: Mapping[str, Any]) -> None:
    """Put ``parameters`` in a cell tagged ``injected-parameters`` right after the cell tagged
    ``parameters`` (at the top without one), replacing an injected cell already there."""
    import nbformat

    source = "\n".join(
        ["# Parameters", *(parameter_line(name, v) for name, v in parameters.items())]
    )
    cell = nbformat.v4.new_code_cell(source=source + "\n")
    cell.metadata["tags"] = ["injected-parameters"]
    cells = [c for c in notebook.cells if "injected-parameters" not in _tags(c)]
    tagged = [i for i, c in enumerate(cells) if "parameters" in _tags(c)]
    at = tagged[0] + 1 if tagged else 0
    notebook.cells = [*cells[:at], cell, *cells[at:]]


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def execute(
    source: str | Path,
    ipynb: str | Path,
    html: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    cwd: str | Path | None = None,
) -> float:
    """Execute a ``py:percent`` notebook; write the ``.ipynb`` and its HTML.

    The kernel is the ``python3`` kernel spec of the running environment (the project's venv),
    with :data:`HEADLESS` set; nothing is registered globally. A failing cell raises
    (``nbclient``'s ``CellExecutionError``, naming the cell and the error). Returns the
    execution wall time in seconds.
    """
    import jinja2
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    from hatmeta.io import write_text, write_with

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    inject_parameters(notebook, dict(parameters or {}))
    start = time.perf_counter()
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or Path.cwd())}},
    )
    executed = client.execute(env={**os.environ, HEADLESS: "1"})
    seconds = time.perf_counter() - start
    write_with(ipynb, lambda tmp: nbformat.write(executed, str(tmp)))
    exporter = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"hatmeta_notebook.html.j2": EXPORT_TEMPLATE})],
        template_file="hatmeta_notebook.html.j2",
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(executed)
    write_text(body, html)
    return seconds


def input_paths(
    inputs: Mapping[str, str | list[str]] | None,
    root: str | Path,
    defaults: Mapping[str, str | list[str]],
) -> dict[str, Path | list[Path]]:
    """The results a notebook reads: the paths the workflow passed (``inputs``), or else
    ``defaults`` (layout paths under ``root``); each must exist."""
    chosen = defaults if inputs is None else inputs
    out: dict[str, Path | list[Path]] = {}
    for name, value in chosen.items():
        if isinstance(value, str):
            (out[name],) = require(root, value)
        else:
            out[name] = require(root, *value)
    return out
