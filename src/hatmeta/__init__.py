"""hatmeta: Bayesian evidence synthesis of randomised trials from one extraction sheet.

The package holds all analysis logic; the Snakemake workflow only wires files to these functions.
The version is written once, in ``pyproject.toml``; ``hatmeta.__version__`` reads it from the
installed package's metadata (on first use: every workflow job imports this package, few ask).
"""

from __future__ import annotations

from pathlib import Path

#: Where the version is written when the package is used from a checkout without installing.
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hatmeta")
    except PackageNotFoundError:  # a checkout on sys.path, not installed
        import tomllib

        return tomllib.loads(PYPROJECT.read_text())["project"]["version"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'hatmeta' has no attribute {name!r}")
