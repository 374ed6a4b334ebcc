"""The reviewing notebooks: executed by the workflow, opened interactively by reviewers.

The sources are jupytext ``py:percent`` files (readable diffs). The workflow executes them with
papermill, which injects the run's parameters after the cell tagged ``parameters`` (the config
file and the paths of the results the rule declares), and exports the executed notebook to HTML.
Opened interactively, a notebook keeps its own defaults: :func:`project_root` finds the
project and :func:`require` names the first result that is missing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


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


def execute(
    source: str | Path,
    ipynb: str | Path,
    html: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    cwd: str | Path | None = None,
) -> float:
    """Execute a ``py:percent`` notebook with papermill; write the ``.ipynb`` and its HTML.

    The kernel is the ``python3`` kernel spec of the running environment (the project's venv);
    nothing is registered globally. Returns the execution wall time in seconds.
    """
    import jupytext
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from hatmeta.io import write_text, write_with

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    start = time.perf_counter()
    executed = papermill.execute_notebook(
        notebook,
        None,
        parameters=dict(parameters or {}),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(cwd or Path.cwd()),
    )
    seconds = time.perf_counter() - start
    write_with(ipynb, lambda tmp: nbformat.write(executed, str(tmp)))
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(executed)
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
