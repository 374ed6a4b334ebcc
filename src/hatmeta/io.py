"""Small file helpers shared by every stage: outputs appear whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd


def fit_dir(root: str | Path, evidence: str, analysis: str, prior: str) -> Path:
    """Where one fit's files live: ``{root}/{evidence}/{analysis}/{prior}/``."""
    return Path(root) / evidence / analysis / prior


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    # mkstemp creates the file private (0600); outputs get the usual permissions instead.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_with(path: str | Path, writer: Callable[[Path], Any]) -> None:
    """Write ``path`` atomically with ``writer(temporary_path)``."""
    with atomic_path(path) as tmp:
        writer(tmp)


def write_csv(frame: pd.DataFrame, path: str | Path, float_format: str = "%.6g") -> None:
    """Write a CSV atomically, with rounded floats so reruns are byte-identical."""
    write_with(path, lambda tmp: frame.to_csv(tmp, index=False, float_format=float_format))


def write_json(data: Any, path: str | Path) -> None:
    """Write JSON atomically with sorted keys (stable diffs, byte-identical reruns)."""
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    write_with(path, lambda tmp: tmp.write_text(text))
