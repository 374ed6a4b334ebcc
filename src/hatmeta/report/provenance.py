"""Where a report's numbers came from: data checksums, hatmeta's version and the checkout's,
software versions, date."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import platform
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

SOFTWARE = ("snakemake", "pymc", "arviz", "nutpie", "numpy", "pandas", "statsmodels")
NOT_GIT = "not a git checkout"


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_describe(directory: str | Path) -> str:
    """``git describe --always --dirty`` of the checkout holding ``directory``."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return NOT_GIT
    return out.stdout.strip() or NOT_GIT


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    import hatmeta

    versions = {"python": platform.python_version(), "hatmeta": hatmeta.__version__}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(
    data_files: Mapping[str, str],
    date: str | None = None,
    code: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Date, software versions, code version, code fingerprints and data version.

    Parameters
    ----------
    data_files
        The hand-entered inputs, name -> path. Their checksums make the data version, which
        identifies the data whether or not the run directory is a git checkout.
    date
        ISO date of the report; today by default.
    code
        Stage (workflow rule) -> fingerprint of the library code that wrote its results
        (:mod:`hatmeta.codeprint`), the report's own included.

    Returns
    -------
    dict
        ``date``, ``hatmeta_version`` (the release, from ``pyproject.toml``), ``software``,
        ``data_files`` (path and sha256 each), ``data_version``, ``code_version`` (``git
        describe`` of the checkout that holds this package, which says nothing of an installed
        copy) and ``code_fingerprints`` (``code`` as given).
    """
    import hatmeta

    files = {key: {"path": str(path), "sha256": sha256(path)} for key, path in data_files.items()}
    combined = hashlib.sha256("".join(f["sha256"] for f in files.values()).encode())
    return {
        "date": date or _dt.date.today().isoformat(),
        "hatmeta_version": hatmeta.__version__,
        "software": software_versions(),
        "data_files": files,
        "data_version": combined.hexdigest()[:12],
        "code_version": git_describe(Path(__file__).parent),
        "code_fingerprints": dict(code or {}),
    }
