"""The cached nutpie compilation: written for exact versions, same draws, cached across processes.

An upgrade of nutpie, PyTensor or numba fails ``test_written_for_the_installed_versions`` loudly
(the module would then fall back to the slow uncached compile, which only a benchmark notices):
re-check :mod:`hatmeta.bayes.compiled` against the new nutpie, then update ``WRITTEN_FOR``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from bayes_data import GATE, HN05, ILLICIT, N_SLOTS, SAMPLER, fit_data

from hatmeta.bayes import compiled
from hatmeta.bayes.model import build_model, pack
from hatmeta.bayes.sampling import ModelRunner


def test_written_for_the_installed_versions() -> None:
    installed = compiled.versions()
    assert {k: installed[k] for k in compiled.WRITTEN_FOR} == compiled.WRITTEN_FOR


def test_cached_and_uncached_compiles_give_identical_draws() -> None:
    runner = ModelRunner(N_SLOTS, SAMPLER, effect_sd=2.5, baseline_sd=5.0)
    data = pack(runner.data_arrays(fit_data(ILLICIT), HN05))
    draws = {}
    # _compile_cached, not compile_model: a silent fallback would make this test vacuous.
    for path, compile_ in (
        ("cached", compiled._compile_cached),
        ("uncached", compiled._compile_uncached),
    ):
        model = compile_(build_model(N_SLOTS)).with_data(**data)
        tree = runner._sample(model, SAMPLER, 500, SAMPLER.target_accept[0])
        draws[path] = tree["posterior"].to_dataset()
    assert set(draws["cached"].data_vars) == set(draws["uncached"].data_vars)
    for name in draws["cached"].data_vars:
        assert np.array_equal(draws["cached"][name].values, draws["uncached"][name].values), name


def test_the_cached_path_is_on_unless_switched_off(monkeypatch, caplog) -> None:
    monkeypatch.setenv(compiled.SWITCH, "0")
    with caplog.at_level("INFO", logger="hatmeta.bayes"):
        compiled.compile_model(build_model(N_SLOTS))
    assert "nutpie compile: uncached (HATMETA_CACHED_CALLBACKS=0)" in caplog.text


def test_both_paths_compile_without_fastmath(monkeypatch) -> None:
    """Fast-math lets LLVM reorder arithmetic per compilation context: with it, a warm process
    gave draws differing in the last digits from a cold one (hatmeta.bayes.compiled)."""
    from pytensor import config as pytensor_config

    seen = []
    monkeypatch.setattr(
        compiled,
        "_compile_cached",
        compiled._without_fastmath(lambda model: seen.append(pytensor_config.numba__fastmath)),
    )
    compiled.compile_model(build_model(N_SLOTS))
    assert seen == [False]
    assert pytensor_config.numba__fastmath  # restored afterwards


def test_the_runner_uses_the_cached_path_by_default(monkeypatch, caplog) -> None:
    monkeypatch.delenv(compiled.SWITCH, raising=False)
    runner = ModelRunner(N_SLOTS, SAMPLER, effect_sd=2.5, baseline_sd=5.0)
    with caplog.at_level("INFO", logger="hatmeta.bayes"):
        fit = runner.fit(fit_data(ILLICIT), HN05, GATE)
    assert "nutpie compile: cached callbacks" in caplog.text
    assert not fit.failures


PROBE = textwrap.dedent(
    """
    import json, time
    from hatmeta.bayes import compiled
    from hatmeta.bayes.model import build_model
    model = build_model({n})
    start = time.perf_counter()
    c = compiled._compile_cached(model)
    print(json.dumps({{
        "seconds": time.perf_counter() - start,
        "hits": [c.compiled_logp_func.cache_hits, c.compiled_expand_func.cache_hits],
    }}))
    """
)


def test_a_second_process_compiles_from_the_cache(tmp_path) -> None:
    """Two fresh processes with the same (initially empty) caches: the second loads both
    callbacks from disk and compiles in a fraction of the first one's time."""
    env = os.environ | {
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}",
    }
    runs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", PROBE.format(n=N_SLOTS)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    first, second = runs
    print(f"compile seconds: first process {first['seconds']:.1f}, second {second['seconds']:.1f}")
    assert first["hits"] == [0, 0]
    assert second["hits"] == [1, 1]
    # Measured at about 6x with nothing else running; 2x leaves room for a busy machine.
    assert second["seconds"] < first["seconds"] / 2


def test_a_failure_of_the_cached_path_falls_back_to_nutpie(monkeypatch, caplog) -> None:
    """Anything going wrong in the cached path costs time, never the run: nutpie's own compile
    takes over and the log says why."""

    def broken(model):
        raise AttributeError("a private helper moved")

    monkeypatch.delenv(compiled.SWITCH, raising=False)
    monkeypatch.setattr(compiled, "_compile_cached", broken)
    with caplog.at_level("INFO", logger="hatmeta.bayes"):
        model = compiled.compile_model(build_model(N_SLOTS))
    assert "uncached fallback (AttributeError: a private helper moved)" in caplog.text
    assert model.n_dim > 0


DRAWS = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from bayes_data import HN05, ILLICIT, N_SLOTS, SAMPLER, fit_data
    from hatmeta.bayes import compiled
    from hatmeta.bayes.model import build_model, pack
    from hatmeta.bayes.sampling import ModelRunner
    runner = ModelRunner(N_SLOTS, SAMPLER, effect_sd=2.5, baseline_sd=5.0)
    data = pack(runner.data_arrays(fit_data(ILLICIT), HN05))
    model = compiled._compile_cached(build_model(N_SLOTS)).with_data(**data)
    tree = runner._sample(model, SAMPLER, 500, SAMPLER.target_accept[0])
    np.save({out!r}, tree["posterior"]["d"].values)
    """
)


def test_a_warm_process_gives_the_draws_of_a_cold_one(tmp_path) -> None:
    """The first process compiles everything and fills the caches; the second loads PyTensor's
    functions and the callbacks from them. Bit-identical draws (with fast-math on they differed
    by up to 4e-6 relative)."""
    env = os.environ | {
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}",
    }
    tests = str(Path(__file__).parent)
    for name in ("cold", "warm"):
        script = DRAWS.format(tests=tests, out=str(tmp_path / f"{name}.npy"))
        subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)
    assert np.array_equal(np.load(tmp_path / "cold.npy"), np.load(tmp_path / "warm.npy"))
