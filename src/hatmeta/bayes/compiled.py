"""nutpie's numba compilation, cached on disk across processes.

Why this module exists
----------------------
``nutpie.compile_pymc_model`` (numba backend) compiles two C callbacks (log density with
gradient, and the "expand" function that computes the traced quantities) around PyTensor's
numba functions. PyTensor caches its own functions on disk, keyed by a stable hash of the graph,
but nutpie's callbacks are recompiled in every process: they are closures over numba
dispatchers whose pickled state carries a per-process UUID, so numba's cache key (which hashes
the closure's contents) never matches (numba issue #6264), and nutpie names the shared
variables with random UUIDs. On this project's model that is 9-16 s of every fitting process.

:func:`compile_model` builds the same two callbacks from generated source without closures:
the shared variables get deterministic names, and the source is registered under a key made of
the source itself, PyTensor's graph keys of the two functions and the versions of everything
that generates code. numba then finds the callbacks in PyTensor's numba cache
(``<pytensor base_compiledir>/numba``): a cache whose life is tied to the cached PyTensor
functions the callbacks call, which ``tools/benchmark.py`` points at an empty directory for a
cold run. With a cold cache the callbacks compute exactly what nutpie's do (same draws with the
same seed); with a warm one, not always (below).

Without fast-math, so that a cached run repeats a cold one bit for bit
---------------------------------------------------------------------
PyTensor compiles its numba functions with fast-math flags by default, which let LLVM reorder
floating-point arithmetic differently in each compilation context. With them, callbacks compiled
in a process whose PyTensor functions came from PyTensor's cache gave draws differing from a
cold process's in the last digits (relative differences up to about 4e-6, nutpie 0.16.11,
PyTensor 3.3.7, numba 0.68.0), so a first run and its rerun were not byte-identical. Every
compile here therefore runs with ``pytensor.config.numba__fastmath`` off (part of PyTensor's
cache keys and of ours): the arithmetic is IEEE's, whatever was inlined where, and a cold process,
a warm one and nutpie's own compile give the same draws
(``tests/test_bayes_compiled.py`` checks all three in separate processes). The cost is none that
this model's sampling time shows.

The cached path is on by default; ``HATMETA_CACHED_CALLBACKS=0`` switches it off (nutpie's own,
uncached compile, still without fast-math).

It uses nutpie's private helpers, so it is written for the exact versions in
:data:`WRITTEN_FOR` (pinned in ``pyproject.toml``); ``tests/test_bayes_compiled.py`` fails on
any other version. Whenever the cached path cannot be taken (an uncacheable graph, an API that
moved) it logs why and falls back to ``nutpie.compile_pymc_model``: slower, never wrong.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pymc as pm

log = logging.getLogger("hatmeta.bayes")

#: The versions this module was written and tested for (nutpie's private API may change).
WRITTEN_FOR = {"nutpie": "0.16.11", "pytensor": "3.3.7", "numba": "0.68.0"}
#: Packages whose versions change the generated code: part of the cache key.
KEYED_PACKAGES = ("nutpie", "pytensor", "pymc", "numba", "llvmlite", "numpy")

#: The C signatures nutpie's sampler calls (as in nutpie.compile_pymc).
_LOGP_SIGNATURE = "int64(uint64, CPointer(float64), CPointer(float64), CPointer(float64), voidptr)"
_EXPAND_SIGNATURE = "int64(uint64, uint64, CPointer(float64), CPointer(float64), voidptr)"


#: Set to ``0`` to compile with nutpie's own, uncached callbacks.
SWITCH = "HATMETA_CACHED_CALLBACKS"


def compile_model(model: pm.Model) -> Any:
    """``nutpie.compile_pymc_model(model)`` without fast-math, with the numba callbacks cached
    on disk unless :data:`SWITCH` is ``0``.

    Returns the nutpie compiled model and logs which path ran ("cached callbacks", "uncached"
    or the fallback with its reason).
    """
    if os.environ.get(SWITCH) == "0":
        log.info("nutpie compile: uncached (%s=0)", SWITCH)
        return _compile_uncached(model)
    try:
        compiled = _compile_cached(model)
    except Exception as error:  # any failure here may cost time, never the run
        log.warning("nutpie compile: uncached fallback (%s: %s)", type(error).__name__, error)
        return _compile_uncached(model)
    log.info("nutpie compile: cached callbacks")
    return compiled


def _without_fastmath(compile_):
    """``compile_`` with PyTensor's numba functions compiled without fast-math (module
    docstring)."""

    @functools.wraps(compile_)
    def wrapper(model):
        from pytensor import config as pytensor_config

        with pytensor_config.change_flags(numba__fastmath=False):
            return compile_(model)

    return wrapper


@_without_fastmath
def _compile_uncached(model: pm.Model) -> Any:
    """nutpie's own compile (its callbacks recompiled in every process)."""
    import nutpie

    return nutpie.compile_pymc_model(model)


def versions() -> dict[str, str]:
    """The installed versions of the packages in :data:`KEYED_PACKAGES`."""
    return {name: version(name) for name in KEYED_PACKAGES}


@_without_fastmath
def _compile_cached(model: pm.Model) -> Any:
    """What ``nutpie.compile_pymc_model(model)`` does with its defaults (numba backend, no
    frozen data, support-point initialisation with jitter), with cacheable callbacks."""
    import numba
    from nutpie import compile_pymc as ncp
    from pymc.initial_point import make_initial_point_fn
    from pytensor import config as pytensor_config
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

    installed = versions()
    moved = {k: installed[k] for k, v in WRITTEN_FOR.items() if installed[k] != v}
    if moved:
        raise RuntimeError(f"written for {WRITTEN_FOR}, found {moved}")
    if not pytensor_config.numba__cache:
        raise RuntimeError("PyTensor's numba cache is switched off")

    initial_point = ncp._wrap_with_lock(
        make_initial_point_fn(
            model=model,
            overrides=None,
            default_strategy="support_point",
            jitter_rvs=set(model.free_RVs),
            return_transformed=True,
        )
    )
    n_dim, n_expanded, logp_pt, expand_pt, initial_point_fn, shape_info, reparameterized = (
        ncp._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=initial_point,
        )
    )
    logp_jit, expand_jit = logp_pt.vm.jit_fn, expand_pt.vm.jit_fn
    graph_keys = [CACHED_SRC_FUNCTIONS.get(f.py_func) for f in (logp_jit, expand_jit)]
    if None in graph_keys:
        raise RuntimeError("PyTensor gave no cache key for the model's functions")

    # Deterministic names (nutpie draws UUIDs): part of the source, hence of the cache key.
    shared_vars = list(dict.fromkeys([*logp_pt.get_shared(), *expand_pt.get_shared()]))
    shared_var_keys = {var: f"shared_{i}" for i, var in enumerate(shared_vars)}
    shared_data = {}
    for var, key in shared_var_keys.items():
        shared_data[key] = np.array(var.get_value(), order="C", copy=True)
        shared_data[key].flags.writeable = False
    user_data = ncp.make_user_data(shared_var_keys, shared_data)

    logp_keys = [shared_var_keys[v] for v in logp_pt.get_shared()]
    expand_keys = [shared_var_keys[v] for v in expand_pt.get_shared()]
    source = _source(n_dim, n_expanded, shared_data, logp_keys, expand_keys)
    key = hashlib.sha256(
        repr(
            (
                source,
                graph_keys,
                user_data.dtype.descr,
                sorted(installed.items()),
                sys.version_info[:3],
                pytensor_config.numba__fastmath,
            )
        ).encode()
    ).hexdigest()
    env = {
        # numba pickles a cached function's environment by its module name and re-imports that
        # module to load it: without a name the second process cannot load the callbacks.
        "__name__": __name__,
        "np": np,
        "numba": numba,
        "address": ncp.address_as_void_pointer,
        "RECORD": user_data.dtype,
        "logp_jit": logp_jit,
        "expand_jit": expand_jit,
    }
    logp_py = compile_numba_function_src(source, "logp", env, cache_key=f"{key}_logp")
    expand_py = compile_numba_function_src(source, "expand", env, cache_key=f"{key}_expand")
    logp_c = numba.cfunc(_LOGP_SIGNATURE, cache=True)(logp_py)
    expand_c = numba.cfunc(_EXPAND_SIGNATURE, cache=True)(expand_py)

    dims, coords = ncp._prepare_dims_and_coords(model, shape_info, reparameterized)
    return ncp.CompiledPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp_c,
        compiled_expand_func=expand_c,
        initial_point_func=initial_point_fn,
        shared_data=shared_data,
        shared_var_keys=shared_var_keys,
        user_data=user_data,
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=logp_pt,
        expand_func=expand_pt,
        reparameterized_names=reparameterized,
    )


def _source(
    n_dim: int,
    n_expanded: int,
    shared_data: dict[str, np.ndarray],
    logp_keys: list[str],
    expand_keys: list[str],
) -> str:
    """Python source of the two callbacks: nutpie's ``logp_numba`` and ``expand_numba`` with
    each shared array read from the user-data record by its literal name (nutpie reads them
    through closures), and element-wise copies (same values, far less to compile than
    ``out[...] = ...``)."""

    def unpack(keys: list[str]) -> list[str]:
        lines = ["shared = numba.carray(user_data_, (), RECORD)['shared']"]
        for i, key in enumerate(keys):
            value = shared_data[key]
            shape = ", ".join(f"int(shared['shape']['{key}'][{d}])" for d in range(value.ndim))
            lines += [
                f"s{i} = numba.carray(address(shared['data']['{key}'][()]), "
                f"int(shared['size']['{key}'][()]), np.{value.dtype.name})"
                f".reshape(({shape}{',' if value.ndim == 1 else ''}))",
            ]
        return lines

    def body(lines: list[str]) -> str:
        return "\n".join(f"        {line}" for line in lines)

    logp_args = ", ".join(f"s{i}" for i in range(len(logp_keys)))
    expand_args = ", ".join(f"s{i}" for i in range(len(expand_keys)))
    return f"""
def logp(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_dim},))
        logp_out = numba.carray(logp_, ())
{body(unpack(logp_keys))}
        logp_val, grad = logp_jit(x, {logp_args})
        logp_out[()] = logp_val
        for i in range({n_dim}):
            out[i] = grad[i]
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0


def expand(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim}:
        return -1
    if expanded != {n_expanded}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
{body(unpack(expand_keys))}
        (values,) = expand_jit(x, {expand_args})
        for i in range({n_expanded}):
            out[i] = values[i]
    except Exception:
        return -2
    return 0
"""
