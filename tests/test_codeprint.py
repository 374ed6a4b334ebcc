"""hatmeta.codeprint: the import walk, what changes a fingerprint, the parse cache, and that
every rule of the workflow passes its script's fingerprint."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, rule_blocks, rule_scripts

from hatmeta import codeprint
from hatmeta.codeprint import PackageCode, resolve_relative, undeclared_data_files

#: A small package: relative imports at every level, an import inside a function, a cycle
#: (a -> b -> sub.c -> a), imports of other packages, a module nothing reaches, and a module
#: that reads a template it declares.
PACKAGE = {
    "__init__.py": '"""The package."""\n',
    "a.py": """
        from . import b
        import os.path
        import numpy as np

        def top():
            return b.helper()
    """,
    "b.py": """
        from pkg.missing import nothing  # not a module of the package: ignored

        def helper():
            from .sub.c import deep  # lazy: still code the job runs
            return deep()
    """,
    "sub/__init__.py": "",
    "sub/c.py": """
        from ..a import top  # the cycle back to a

        def deep():
            return 1
    """,
    "unreached.py": "VALUE = 1\n",
    "render.py": """
        __package_data__ = ("templates/*",)

        def render():
            return "templates/page.j2"
    """,
    "templates/page.j2": "<p>{{ x }}</p>\n",
}
SCRIPT = "from pkg import a\nfrom pkg.render import render\nimport json\n"


@pytest.fixture
def package(tmp_path) -> Path:
    root = tmp_path / "src" / "pkg"
    for name, text in PACKAGE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "job.py"
    path.write_text(SCRIPT)
    return path


def fingerprint(package: Path, script: Path) -> str:
    """A fresh walk, as a new workflow start-up would do it (no cache)."""
    return PackageCode(package).fingerprint(script)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_walk_follows_relative_lazy_and_cyclic_imports_within_the_package(package, script):
    modules = PackageCode(package).modules_of(script)
    assert [m.name for m in modules] == [
        "pkg",
        "pkg.a",
        "pkg.b",
        "pkg.render",
        "pkg.sub",
        "pkg.sub.c",
    ]
    by_name = {m.name: m for m in modules}
    assert by_name["pkg.render"].data_files == ("templates/page.j2",)
    assert set(by_name["pkg.b"].imports) == {"pkg", "pkg.sub", "pkg.sub.c"}


def test_module_not_in_the_package_is_ignored(package, tmp_path):
    other = tmp_path / "other.py"
    other.write_text("import numpy\nfrom os import path\nimport pkgx.a\nfrom pkg import nothing\n")
    assert [m.name for m in PackageCode(package).modules_of(other)] == ["pkg"]


def test_resolve_relative():
    assert resolve_relative("x", 0, "pkg.sub") == "x"
    assert resolve_relative("c", 1, "pkg.sub") == "pkg.sub.c"
    assert resolve_relative("a", 2, "pkg.sub") == "pkg.a"
    assert resolve_relative(None, 1, "pkg") == "pkg"
    assert resolve_relative("a", 3, "pkg.sub") is None  # above the top
    assert resolve_relative("a", 1, "") is None  # a script is in no package


def test_whitespace_and_comments_leave_the_fingerprint_alone(package, script):
    before = fingerprint(package, script)
    edit(package / "b.py", "def helper():", "# a comment\n\n\ndef helper( ):  # another")
    edit(package / "a.py", "return b.helper()", "return  b.helper(\n    )")
    assert fingerprint(package, script) == before


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("a.py", "return b.helper()", "return b.helper() + 0"),  # code
        ("sub/c.py", "return 1", "return 2"),  # reached only through a lazy import
        ("sub/c.py", "def deep():", 'def deep():\n    """Now documented."""'),  # docstring
        ("__init__.py", "The package.", "The package, renamed."),  # runs on every import
        ("templates/page.j2", "<p>", "<div>"),  # a declared data file
    ],
)
def test_a_change_python_sees_changes_the_fingerprint(package, script, module, old, new):
    before = fingerprint(package, script)
    edit(package / module, old, new)
    assert fingerprint(package, script) != before


def test_modules_the_script_does_not_reach_do_not_count(package, script):
    before = fingerprint(package, script)
    edit(package / "unreached.py", "VALUE = 1", "VALUE = 2")
    (package / "new.py").write_text("X = 1\n")
    assert fingerprint(package, script) == before


def test_the_script_itself_counts(package, script):
    before = fingerprint(package, script)
    script.write_text(SCRIPT + "print(a.top())\n")
    assert fingerprint(package, script) != before


def test_a_modules_fingerprint_follows_what_it_reaches(package):
    """For a start-up step (no script): the modules reached from the named ones count."""

    def of_b():
        return PackageCode(package).modules_fingerprint("pkg.b")

    before = of_b()
    edit(package / "unreached.py", "VALUE = 1", "VALUE = 2")
    assert of_b() == before
    edit(package / "sub" / "c.py", "return 1", "return 2")  # b reaches c lazily
    assert of_b() != before


def test_fingerprint_names_modules_not_paths(package, script, tmp_path):
    """A fresh clone elsewhere (another path, new mtimes) gives the same fingerprint."""
    clone = tmp_path / "clone" / "pkg"
    shutil.copytree(package, clone)
    assert fingerprint(clone, script) == fingerprint(package, script)


def test_undeclared_data_files_are_found(package):
    assert undeclared_data_files(PackageCode(package)) == []
    (package / "sub" / "table.csv").write_text("a,b\n")
    assert undeclared_data_files(PackageCode(package)) == ["sub/table.csv"]


def test_parse_cache_spares_parsing_unchanged_files_and_sees_changes(
    package, script, tmp_path, monkeypatch
):
    cache_file = tmp_path / "cache" / "codeprint.json"
    first = PackageCode(package, cache_file=cache_file)
    before = first.fingerprint(script)
    first.save()
    assert cache_file.exists()

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed a file the cache holds")

    with monkeypatch.context() as patch:
        patch.setattr(codeprint, "parse", no_parsing)
        assert PackageCode(package, cache_file=cache_file).fingerprint(script) == before

    edit(package / "sub/c.py", "return 1", "return 2")
    changed = PackageCode(package, cache_file=cache_file).fingerprint(script)
    assert changed != before and changed == fingerprint(package, script)


def test_unreadable_cache_is_ignored(package, script, tmp_path):
    cache_file = tmp_path / "codeprint.json"
    cache_file.write_text("{not json")
    assert PackageCode(package, cache_file=cache_file).fingerprint(script) == fingerprint(
        package, script
    )


# ---------------------------------------------------------------- the project's own workflow


def test_every_rule_with_a_script_passes_its_scripts_fingerprint():
    """A rule added later without the param fails here (its results would not follow the
    library), and so does one that names another rule's script."""
    blocks, scripted = rule_blocks(), rule_scripts()
    assert {"extract", "fit", "report", "notebook"} <= set(scripted)
    missing = {
        rule: script
        for rule, script in scripted.items()
        if not re.search(rf'^\s+code=code_fingerprint\("{re.escape(script)}"', blocks[rule], re.M)
    }
    assert not missing, f"rules without code=code_fingerprint(<their script>): {missing}"


def test_the_library_declares_every_file_it_reads():
    library = PackageCode.installed()
    assert undeclared_data_files(library) == []
    render = library.module("hatmeta.report.render")
    assert "report/templates/report.html.j2" in render.data_files


def test_each_script_reaches_what_it_imports():
    library = PackageCode.installed()
    fit = {m.name for m in library.modules_of(ROOT / "workflow/scripts/fit.py")}
    report = {m.name for m in library.modules_of(ROOT / "workflow/scripts/report.py")}
    assert "hatmeta.bayes.model" in fit and "hatmeta.report.render" not in fit
    assert "hatmeta.report.render" in report and "hatmeta.bayes.model" not in report


def test_an_upgraded_dependency_changes_the_environment_digest(tmp_path):
    """A new version of any installed distribution (a changed uv.lock, synced) changes the
    digest; a package directory beside them or a missing directory does not count."""
    from hatmeta.codeprint import distributions_digest

    site = tmp_path / "site"
    (site / "numpy-2.5.5.dist-info").mkdir(parents=True)
    (site / "pymc-6.4.0.dist-info").mkdir()
    directories = [site, tmp_path / "missing"]
    before = distributions_digest(directories)
    assert distributions_digest(directories) == before
    (site / "pymc").mkdir()  # a package, not a distribution's metadata
    assert distributions_digest(directories) == before
    (site / "pymc-6.4.0.dist-info").rename(site / "pymc-6.5.0.dist-info")
    assert distributions_digest(directories) != before


def test_the_environment_enters_every_fingerprint(package, script, monkeypatch):
    from hatmeta import codeprint

    monkeypatch.setattr(codeprint, "environment_digest", lambda: "one environment")
    before = PackageCode(package).fingerprint(script)
    monkeypatch.setattr(codeprint, "environment_digest", lambda: "another environment")
    assert PackageCode(package).fingerprint(script) != before
