"""nutpie's raw Arrow trace as the posterior tree a fit keeps.

nutpie converts its trace with ArviZ's general ``from_dict``: every sampler statistic (32 of
them, vector ones included), the warm-up draws and the posterior, one ``DataArray`` at a time,
about 60 ms per attempt, most of it on data a fit then drops. :func:`trace_tree` converts only
what a fit keeps (the posterior draws and :data:`SAMPLE_STATS`) straight from the Arrow batches,
into the same values, dims, coords and attributes as nutpie 0.16.11's conversion
(``tests/test_bayes_trace.py`` compares the two on a real fit, so an upgrade that changes
nutpie's output fails there, not silently here).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xarray as xr
from arviz_base import make_attrs

#: The sampler statistics kept with a posterior: those diagnostics and reviewers use (divergences,
#: energy for BFMI, tree size, step size). nutpie's others (object-typed messages among them, which
#: do not round-trip through netCDF) would only cost converting and writing time.
SAMPLE_STATS = ("diverging", "energy", "n_steps", "depth", "step_size", "mean_tree_accept")
SAMPLE_DIMS = ("chain", "draw")


def _chains(batches: Sequence[Any], names: Sequence[str], tuning: Sequence[int]) -> dict:
    """``name -> (dims, array)`` of the columns ``names``, warm-up rows dropped, chains stacked."""
    out = {}
    for name in names:
        # Each column's metadata gives its dims and element shape ("trial" and (5,), say), as
        # nutpie's conversion reads them.
        meta = batches[0].schema.field(name).metadata or {}
        dims = meta[b"dims"].decode().split(",") if meta.get(b"dims") else []
        shape = [int(n) for n in meta[b"shape"].decode().split(",")] if meta.get(b"shape") else []
        per_chain = []
        for batch, n_tune in zip(batches, tuning, strict=True):
            column = batch.column(name).slice(n_tune)
            # A null would be padding (an unfinished chain) that nutpie fills with NaN; a
            # finished fit has none, and this conversion does not pretend to handle them.
            if column.null_count:
                raise ValueError(f"{name!r} has missing values in the trace")
            values = column.flatten() if pa.types.is_large_list(column.type) else column
            per_chain.append(values.to_numpy(zero_copy_only=False).reshape(len(column), *shape))
        out[name] = ([*SAMPLE_DIMS, *dims], np.stack(per_chain))
    return out


def trace_tree(raw: Any, compiled: Any, settings: Any) -> xr.DataTree:
    """The posterior and the kept sampler statistics of nutpie's raw trace ``raw``
    (``nutpie.sample(..., return_raw_trace=True)``) of the model ``compiled`` sampled with
    ``settings`` (the sampler's settings object, for the attribute nutpie records)."""
    draws, stats = raw.get_arrow_trace()
    draws = [pa.record_batch(b) for b in draws]
    stats = [pa.record_batch(b) for b in stats]
    tuning = [int(b.column("tuning").to_numpy(zero_copy_only=False).sum()) for b in stats]
    if len({b.num_rows - t for b, t in zip(stats, tuning, strict=True)}) != 1:
        raise ValueError("chains of unequal length in the trace")
    # The unconstrained twins of transformed variables (``*_log__``) are not posterior draws.
    skip = set(compiled.reparameterized_names or ())
    posterior = _chains(draws, [n for n in draws[0].schema.names if n not in skip], tuning)
    kept = _chains(stats, SAMPLE_STATS, tuning)
    n_chains, n_draws = next(iter(posterior.values()))[1].shape[:2]

    def dataset(variables: dict, attrs: dict | None = None) -> xr.Dataset:
        used = {d for dims, _ in variables.values() for d in dims}
        coords = {"chain": np.arange(n_chains), "draw": np.arange(n_draws)}
        coords |= {k: pd.Index(v) for k, v in compiled.coords.items() if k in used}
        return xr.Dataset(variables, coords=coords, attrs=make_attrs(attrs, None, SAMPLE_DIMS))

    library = {
        "inference_library": "nutpie",
        "inference_library_version": _nutpie_version(),
        "inference_library_settings": json.dumps(settings.as_dict()),
    }
    return xr.DataTree.from_dict(
        {"posterior": dataset(posterior), "sample_stats": dataset(kept, library)}
    )


def _nutpie_version() -> str:
    from nutpie import __version__

    return __version__
