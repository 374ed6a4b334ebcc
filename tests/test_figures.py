"""Figures of the modelling stage: what they read, and what the report imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import xarray as xr

from hatmeta.io import posterior_draws, save_posterior


def test_the_report_imports_no_plotting_library():
    # The report embeds the PNGs the figures jobs wrote; matplotlib's import was half a second
    # of every report job.
    code = (
        "import sys, hatmeta.report.render, hatmeta.report.studies;"
        "print(sorted(m for m in ('matplotlib', 'arviz_plots') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _posterior(path, with_draws: bool) -> None:
    rng = np.random.default_rng(0)
    children = {}
    if with_draws:
        dims = ("chain", "draw")
        children["posterior"] = xr.DataTree(
            xr.Dataset(
                {
                    "d": (dims, rng.normal(size=(2, 50))),
                    "tau": (dims, rng.gamma(2.0, size=(2, 50))),
                    "delta": ((*dims, "trial"), rng.normal(size=(2, 50, 3))),
                }
            )
        )
        children["sample_stats"] = xr.DataTree(xr.Dataset({"diverging": (dims, np.zeros((2, 50)))}))
    tree = xr.DataTree.from_dict(children)
    tree.attrs["analysis"] = "retention"
    save_posterior(tree, path)


def test_posterior_draws_reads_the_named_variables_and_the_attributes(tmp_path):
    _posterior(tmp_path / "posterior.nc", with_draws=True)
    draws, attrs = posterior_draws(tmp_path / "posterior.nc", ["d", "tau", "absent"])
    assert list(draws.data_vars) == ["d", "tau"]
    assert draws["d"].shape == (2, 50)
    assert attrs["analysis"] == "retention"


def test_posterior_draws_of_a_fit_without_data_are_none(tmp_path):
    _posterior(tmp_path / "posterior.nc", with_draws=False)
    draws, attrs = posterior_draws(tmp_path / "posterior.nc", ["d", "tau"])
    assert draws is None and attrs["analysis"] == "retention"


def test_posterior_draws_decode_as_xarray_opens_the_group(tmp_path):
    # posterior_draws reads the file itself (quicker than opening the group with xarray): the
    # same values, dtypes, coordinates (a string one too) and attributes as xarray's reading.
    rng = np.random.default_rng(1)
    dims = ("chain", "draw", "trial")
    d = rng.normal(size=(2, 5))
    d[0, 1] = np.nan
    posterior = xr.Dataset(
        {"d": (dims[:2], d), "delta": (dims, rng.normal(size=(2, 5, 3)))},
        coords={"chain": [0, 1], "draw": np.arange(5), "trial": ["CH1998", "DE2007", "EN2010"]},
        attrs={"created_at": "today", "sample_dims": ["chain", "draw"]},
    )
    path = tmp_path / "posterior.nc"
    save_posterior(xr.DataTree.from_dict({"posterior": xr.DataTree(posterior)}), path)
    with xr.open_dataset(path, group="posterior", engine="h5netcdf") as opened:
        expected = opened[["delta", "d"]].load()
    draws, _ = posterior_draws(path, ["delta", "d"])
    xr.testing.assert_identical(draws, expected)
    assert list(draws.variables) == list(expected.variables)
    for name, variable in expected.variables.items():
        assert draws[name].dtype == variable.dtype, name
