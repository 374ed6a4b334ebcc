"""The house rules of src/hatmeta: no import cycle, no module over 450 lines.

The import graph is built from the source with :mod:`ast`, not by importing: every ``import``
and ``from ... import`` of a hatmeta module counts wherever it is written (at module level,
inside a function, under ``if TYPE_CHECKING``), and importing ``a.b.c`` also imports the
packages ``a.b`` and ``a``. A cycle is named module by module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

SRC = ROOT / "src"
#: The most lines a module of the library may have.
MAX_LINES = 450


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, package: str) -> list[str]:
    """The dotted names an import statement may import (a ``from`` import's names may be
    modules too)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: up level - 1 packages from the module's own package
        parents = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*parents, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(src: Path, top: str = "hatmeta") -> dict[str, set[str]]:
    """Module -> the modules and packages of ``top`` it imports (itself and its own packages
    left out)."""
    paths = {module_name(p, src): p for p in sorted((src / top).rglob("*.py"))}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _imported(node, package):
                # the longest prefix that is a module, and every package above it
                while target and target not in paths:
                    target = target.rpartition(".")[0]
                while target:
                    edges.add(target)
                    target = target.rpartition(".")[0]
        graph[name] = edges - own
    for edges in list(graph.values()):  # a package without __init__.py runs no code
        graph.update({target: set() for target in edges if target not in graph})
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), each as
    the modules in import order, first repeated last."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(_cycle_in(graph, set(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth first)."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a component of >1 always has one


def test_no_import_cycle_in_the_library():
    found = cycles(import_graph(SRC))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_cycle_check_finds_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "hatmeta"
    (package / "certainty").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "certainty" / "__init__.py").write_text("")
    (package / "certainty" / "assess.py").write_text(
        "def f():\n    from hatmeta.certainty.events import g\n"
    )
    (package / "certainty" / "events.py").write_text("from .assess import f\n")
    (package / "config.py").write_text("if TYPE_CHECKING:\n    from hatmeta import riott\n")
    (package / "riott.py").write_text("import hatmeta.config\n")
    (package / "alone.py").write_text("from hatmeta.certainty import assess\n")
    assert cycles(import_graph(tmp_path)) == [
        ["hatmeta.certainty.assess", "hatmeta.certainty.events", "hatmeta.certainty.assess"],
        ["hatmeta.config", "hatmeta.riott", "hatmeta.config"],
    ]


def test_importing_a_module_imports_its_packages(tmp_path):
    package = tmp_path / "hatmeta"
    (package / "report").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "report" / "__init__.py").write_text("from hatmeta import grade\n")
    (package / "report" / "text.py").write_text("")
    (package / "grade.py").write_text("from hatmeta.report.text import x\n")
    graph = import_graph(tmp_path)
    assert graph["hatmeta.grade"] == {"hatmeta.report.text", "hatmeta.report"}
    assert cycles(graph) == [["hatmeta.grade", "hatmeta.report", "hatmeta.grade"]]


@pytest.mark.parametrize(
    "path",
    sorted((SRC / "hatmeta").rglob("*.py")),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_no_module_is_over_450_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"
