"""File writers shared by every stage (outputs appear whole or not at all), and the readers of
the posteriors they write."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


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


def write_text(text: str, path: str | Path) -> None:
    """Write a text file atomically."""
    write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _rounded(value: Any, digits: int) -> Any:
    """Round floats to significant digits and make non-finite values JSON's null, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, float):  # NumPy floats are floats too
        if not math.isfinite(value):
            return None
        return float(f"{value:.{digits}g}")
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # NumPy scalars
        return _rounded(value.item(), digits)
    return value


def write_json(data: Any, path: str | Path, digits: int | None = None) -> None:
    """Write JSON atomically with sorted keys (stable diffs, byte-identical reruns).

    With ``digits``, floats are rounded to that many significant digits and non-finite values
    are written as ``null``.
    """
    if digits is not None:
        data = _rounded(data, digits)
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    write_text(text, path)


def save_posterior(tree: xr.DataTree, path: str | Path) -> None:
    """Write a posterior to netCDF (h5netcdf engine), atomically."""
    write_with(path, lambda tmp: tree.to_netcdf(tmp, engine="h5netcdf"))


def load_posterior(path: str | Path) -> xr.DataTree:
    """A posterior written by :func:`save_posterior`, loaded into memory (file closed)."""
    import xarray as xr

    with xr.open_datatree(path, engine="h5netcdf") as tree:
        return tree.load()


def posterior_draws(path: str | Path, var_names: Sequence[str]):
    """The draws of ``var_names`` (those present) from a saved posterior's ``posterior`` group
    and the file's attributes, or ``None`` and the attributes when the fit had no data.

    Only those variables (and their dimensions' coordinates) are read, from one open file, and
    decoded as :func:`xarray.open_dataset` decodes them (its CF decoding, on the raw variables):
    opening the group with xarray reads the metadata of all its variables, three times as long
    (the same datasets, checked on every posterior of a run).
    """
    import h5netcdf
    import xarray as xr

    # Variable-length strings (a trial coordinate) as str, as xarray's h5netcdf backend reads them.
    with h5netcdf.File(path, "r", decode_vlen_strings=True) as file:
        attrs = dict(file.attrs)
        if "posterior" not in file.groups:
            return None, attrs
        group = file.groups["posterior"]
        present = [v for v in var_names if v in group.variables]
        dims = dict.fromkeys(d for v in present for d in group.variables[v].dimensions)
        raw = {
            name: xr.Variable(variable.dimensions, _values(variable), dict(variable.attrs))
            for name in [*present, *(d for d in dims if d in group.variables)]
            for variable in [group.variables[name]]
        }
        coords = {name: raw.pop(name) for name in list(raw) if name in dims}
        dataset = xr.Dataset(raw, coords=coords, attrs=dict(group.attrs))
    return xr.decode_cf(dataset), attrs


def _values(variable):
    """A netCDF variable's values; strings (read as objects) as a NumPy str array, as xarray
    reads them."""
    values = variable[...]
    return values.astype(str) if values.dtype == object else values
