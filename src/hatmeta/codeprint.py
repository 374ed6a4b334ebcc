"""Fingerprints of the library code a workflow script runs, so that results follow the code.

Snakemake re-runs a job when its rule's params change. Each rule passes, as a param, the
fingerprint of the code its script runs: the script itself and every module of this package it
reaches through imports, followed statically and transitively. Editing a module then re-runs
exactly the jobs whose scripts reach it (and, through their outputs, what follows them).

What counts as code a job runs:

- every ``import`` and ``from ... import`` of the package anywhere in a module, at module level
  or inside a function, class or ``if`` block (a lazy import is still code the job may run),
  absolute or relative; ``from hatmeta import x`` counts the submodule ``x`` when there is one.
  Imports under ``if TYPE_CHECKING:`` count too: the types they name are often those of the
  settings a job unpickles from its params, whose methods then run in the job;
- the package ``__init__`` modules above every module reached (Python runs them on import);
- the non-Python files a module reads at run time, which the module declares in a module-level
  tuple ``__package_data__`` of glob patterns relative to its own directory (say, the report's
  Jinja templates); :func:`undeclared_data_files` finds files nobody declares.

Other packages count as a whole: every fingerprint includes the environment's digest
(:func:`environment_digest`, the name and version of every installed distribution), so a
dependency upgrade (a new ``uv.lock`` synced into ``.venv``) re-runs every job: a new PyMC may
sample differently, a new pandas may round differently, and which job imports what through
them is not worth the risk of a stale result. Imports the source does not spell out
(``importlib.import_module(name)``) are not followed.

What a module contributes is its name and its syntax tree (:func:`ast.dump` without positions):
editing whitespace, comments or line breaks leaves the fingerprint alone, so reformatting re-runs
nothing, while any change Python can see (code, names, docstrings) re-runs the jobs that reach
the module. A declared data file contributes its bytes, as they are. The fingerprint names
modules, not paths, so a fresh clone, another checkout and an installed copy agree.

The walk reads the package where Python imports it (:meth:`PackageCode.installed`), so the
fingerprint is that of the code the jobs will run, wherever it is installed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: Hex digits of a fingerprint: short enough to read in a report, far from colliding.
DIGITS = 16
#: The module attribute that lists the non-Python files a module reads (glob patterns).
DATA_ATTRIBUTE = "__package_data__"
#: The parse cache's file name and format: parses differ between Python versions (ast.dump).
CACHE_NAME = "codeprint.json"
CACHE_FORMAT = f"codeprint 1, python {sys.version_info.major}.{sys.version_info.minor}"
#: Parses kept in the cache at most (the package has about 60 modules).
MAX_CACHED = 1000


@dataclass(frozen=True)
class Module:
    """One module of the package as it stands on disk.

    Attributes
    ----------
    name
        Dotted module name (``hatmeta.bayes.model``).
    path
        Its source file (``.../bayes/model.py`` or ``.../bayes/__init__.py``).
    digest
        sha256 of its syntax tree and of the data files it declares.
    imports
        Names of the package's modules it imports (directly, not transitively).
    data_files
        The data files it declares, relative to the package's directory.
    """

    name: str
    path: Path
    digest: str
    imports: tuple[str, ...]
    data_files: tuple[str, ...]


class PackageCode:
    """The modules of one package under ``root``, parsed once each and shared by every script.

    Parsing every module costs about half a second, more than a no-op workflow run may add. So
    what a parse yields (tree digest, import statements, data patterns) is kept in a cache keyed
    by the file's raw sha256, like Python's byte-code cache beside the sources: a start-up then
    reads and hashes the files and parses only those that changed. A cache that cannot be read
    or written is ignored (every file is parsed).

    Parameters
    ----------
    root
        The package's directory (the one holding its ``__init__.py``).
    package
        The package's import name; defaults to the directory's name.
    cache_file
        Where parses are kept between runs; None keeps them for this object's life only.
    """

    def __init__(
        self, root: str | Path, package: str | None = None, cache_file: str | Path | None = None
    ) -> None:
        self.root = Path(root)
        self.package = package or self.root.name
        self.cache_file = None if cache_file is None else Path(cache_file)
        self._parses = ParseCache(self.cache_file)
        # Per-instance caches: one parse per module however many scripts reach it.
        self.module = cache(self._module)
        self.source_file = cache(self._source_file)

    @classmethod
    def installed(cls, package: str = "hatmeta") -> PackageCode:
        """The package as Python imports it here (the code the workflow's jobs will run), its
        parses cached in the package's ``__pycache__``."""
        import importlib.util

        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"package {package!r} is not importable")
        root = Path(spec.origin).parent
        return cls(root, package, root / "__pycache__" / CACHE_NAME)

    def save(self) -> None:
        """Keep this object's parses for the next start-up (if anything new was parsed)."""
        self._parses.save()

    # ---------------------------------------------------------------- modules on disk

    def _source_file(self, name: str) -> Path | None:
        """The source file of module ``name``, or None if it is not a module of the package."""
        parts = name.split(".")
        if parts[0] != self.package:
            return None
        base = self.root.joinpath(*parts[1:])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        return None

    def _module(self, name: str) -> Module | None:
        path = self.source_file(name)
        if path is None:
            return None
        parsed = self._parses.get(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        data_files = self._data_files(parsed.data_patterns, path.parent)
        digest = hashlib.sha256(parsed.tree_digest.encode())
        for relative in data_files:
            digest.update(f"\0{relative}\0".encode())
            digest.update((self.root / relative).read_bytes())
        imports = tuple(dict.fromkeys(self._resolve(parsed.imports, package)))
        return Module(name, path, digest.hexdigest(), imports, data_files)

    def _data_files(self, patterns: Iterable[str], directory: Path) -> tuple[str, ...]:
        """Files matched by a module's ``__package_data__`` patterns, sorted."""
        found = {
            path.relative_to(self.root).as_posix()
            for pattern in patterns
            for path in directory.glob(pattern)
            if path.is_file()
        }
        return tuple(sorted(found))

    def _resolve(self, statements: Iterable[ImportStatement], package: str) -> Iterator[str]:
        """The package's modules that import ``statements`` load; ``package`` (the importing
        module's package, empty for a script) resolves relative imports."""
        for module, level, names in statements:
            if level == 0 and not names:  # import a.b.c
                yield from self._with_parents(module)
                continue
            base = resolve_relative(module, level, package)
            if base is None:
                continue
            yield from self._with_parents(base)
            for name in names:
                # `from pkg import name`: a submodule, or a name defined in pkg/__init__.
                if name != "*" and self.source_file(f"{base}.{name}"):
                    yield f"{base}.{name}"

    def _with_parents(self, name: str) -> Iterator[str]:
        """``name`` and the packages above it, if it is a module of this package."""
        parts = name.split(".")
        if parts[0] != self.package:
            return
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if self.source_file(prefix) is not None:
                yield prefix

    # ---------------------------------------------------------------- scripts

    def script(self, path: str | Path) -> tuple[str, tuple[str, ...]]:
        """A script's own tree digest and the package's modules it imports directly."""
        parsed = self._parses.get(Path(path))
        return parsed.tree_digest, tuple(dict.fromkeys(self._resolve(parsed.imports, "")))

    def reached(self, names: Iterable[str]) -> list[Module]:
        """Every module reached from ``names`` through imports, in name order (cycles are
        followed once)."""
        seen: dict[str, Module] = {}
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            module = self.module(name)
            if module is None:
                continue
            seen[name] = module
            stack.extend(module.imports)
        return [seen[name] for name in sorted(seen)]

    def modules_of(self, *scripts: str | Path) -> list[Module]:
        """The package's modules the scripts reach."""
        return self.reached(name for script in scripts for name in self.script(script)[1])

    def fingerprint(self, *scripts: str | Path) -> str:
        """The fingerprint of the code that running ``scripts`` runs: the scripts (by file
        name), every module of the package they reach, with its declared data files, and the
        installed distributions (:func:`environment_digest`)."""
        named = sorted(scripts, key=lambda path: Path(path).name)
        lines = [f"script {Path(script).name} {self.script(script)[0]}" for script in named]
        return _fingerprint(lines, self.modules_of(*scripts))

    def modules_fingerprint(self, *names: str) -> str:
        """The fingerprint of the code that importing the modules ``names`` can run: every
        module they reach, with its data files, and the installed distributions (for a step
        of the workflow's own start-up, which runs no script)."""
        return _fingerprint([], self.reached(names))

    def data_files(self) -> set[str]:
        """Every data file some module declares, relative to the package's directory."""
        names = (self._name(path) for path in sorted(self.root.rglob("*.py")))
        return {
            relative
            for name in names
            if (module := self.module(name)) is not None
            for relative in module.data_files
        }

    def _name(self, path: Path) -> str:
        parts = path.relative_to(self.root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join((self.package, *parts))


#: One import statement as written: (module, level of leading dots, imported names), names
#: empty for ``import a.b``.
ImportStatement = tuple[str | None, int, tuple[str, ...]]


@dataclass(frozen=True)
class Parsed:
    """What parsing one source file yields (a pure function of its bytes)."""

    tree_digest: str
    imports: tuple[ImportStatement, ...]
    data_patterns: tuple[str, ...]


def parse(source: bytes, filename: str = "<source>") -> Parsed:
    """Parse a module: the sha256 of its syntax tree without positions, every import
    statement anywhere in it, and its ``__package_data__`` patterns."""
    tree = ast.parse(source, filename=filename)
    imports: list[ImportStatement] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports += [(alias.name, 0, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            imports.append((node.module, node.level, names))
    digest = hashlib.sha256(ast.dump(tree).encode()).hexdigest()
    return Parsed(digest, tuple(imports), declared_data(tree))


class ParseCache:
    """Parses by the sha256 of the source's bytes, kept in a JSON file between runs."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stored = self._load()
        self.used: dict[str, Parsed] = {}
        self.changed = False

    def _load(self) -> dict[str, Parsed]:
        if self.path is None:
            return {}
        try:
            raw = json.loads(self.path.read_text())
            if raw.get("format") != CACHE_FORMAT:
                return {}
            return {
                key: Parsed(
                    value["tree"],
                    tuple((m, level, tuple(names)) for m, level, names in value["imports"]),
                    tuple(value["data"]),
                )
                for key, value in raw["parses"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def get(self, path: Path) -> Parsed:
        source = path.read_bytes()
        key = hashlib.sha256(source).hexdigest()
        if key not in self.used:
            parsed = self.stored.get(key)
            if parsed is None:
                parsed = parse(source, str(path))
                self.changed = True
            self.used[key] = parsed
        return self.used[key]

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        # Keep older parses (another checkout's, a script not used this time) unless the
        # file would grow without bound.
        kept = self.used if len(self.stored) > MAX_CACHED else {**self.stored, **self.used}
        document = {
            "format": CACHE_FORMAT,
            "parses": {
                key: {"tree": p.tree_digest, "imports": p.imports, "data": p.data_patterns}
                for key, p in kept.items()
            },
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(document))
            tmp.replace(self.path)  # atomic: concurrent start-ups never read half a file
        except OSError:
            return
        self.changed = False


def _fingerprint(lines: Iterable[str], modules: Iterable[Module]) -> str:
    """The installed distributions, then ``lines``, then each module's name and digest."""
    digest = hashlib.sha256(f"environment {environment_digest()}\n".encode())
    for line in lines:
        digest.update(f"{line}\n".encode())
    for module in modules:
        digest.update(f"module {module.name} {module.digest}\n".encode())
    return digest.hexdigest()[:DIGITS]


@cache
def environment_digest() -> str:
    """The installed distributions of this interpreter's environment (its site-packages, not
    ``sys.path``, which a working directory or ``PYTHONPATH`` changes, so every process of one
    environment agrees): :func:`distributions_digest` of them, computed once per process."""
    paths = sysconfig.get_paths()
    return distributions_digest(dict.fromkeys((paths["purelib"], paths["platlib"])))


def distributions_digest(directories: Iterable[str | Path]) -> str:
    """sha256 of the name and version of every distribution installed in ``directories``, read
    from the names of their metadata directories (``pymc-6.4.0.dist-info``): a directory
    listing each, a few milliseconds, no metadata file opened."""
    names = set()
    for directory in directories:
        try:
            with os.scandir(directory) as found:
                names.update(
                    item.name
                    for item in found
                    if item.name.endswith((".dist-info", ".egg-info")) and item.is_dir()
                )
        except OSError:  # no such directory
            continue
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


def resolve_relative(module: str | None, level: int, package: str) -> str | None:
    """The absolute name of ``from <level dots><module> import ...`` inside ``package``.

    Returns None for a relative import outside any package (a script) or above the top.
    """
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 >= len(parts) or not parts:
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base)


def declared_data(tree: ast.Module) -> tuple[str, ...]:
    """The module's ``__package_data__`` patterns (a literal tuple or list of strings)."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == DATA_ATTRIBUTE for t in targets):
            value = ast.literal_eval(node.value)
            return tuple(value)
    return ()


def undeclared_data_files(code: PackageCode) -> list[str]:
    """Non-Python files of the package that no module declares: a file the code may read at
    run time that no fingerprint would cover (byte-code caches excepted)."""
    present = {
        path.relative_to(code.root).as_posix()
        for path in code.root.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }
    return sorted(present - code.data_files())


def main(argv: list[str] | None = None) -> None:
    """``python -m hatmeta.codeprint SCRIPT...``: the fingerprint and the modules behind it."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("scripts", nargs="+", help="workflow scripts or notebook sources")
    args = parser.parse_args(argv)
    code = PackageCode.installed()
    print(f"fingerprint {code.fingerprint(*args.scripts)}")
    for module in code.modules_of(*args.scripts):
        extra = f"  + {', '.join(module.data_files)}" if module.data_files else ""
        print(f"  {module.digest[:DIGITS]}  {module.name}{extra}")
    code.save()


if __name__ == "__main__":
    main()
