"""The fit's own conversion of nutpie's raw trace against nutpie's conversion of the same fit.

nutpie is pinned; if an upgrade changes its output (values, dims, coords, attributes), this
test fails rather than the posteriors silently drifting from what nutpie would give.
"""

from __future__ import annotations

import nutpie
import xarray as xr
from bayes_data import HN05, RETENTION, SAMPLER, fit_data

from hatmeta.bayes.sampling import nutpie_arguments
from hatmeta.bayes.trace import SAMPLE_STATS


def test_trace_tree_equals_nutpies_conversion(runner) -> None:
    compiled = runner.compiled.with_data(
        **runner.pack(runner.data_arrays(fit_data(RETENTION), HN05))
    )
    accept = SAMPLER.target_accept[0]
    ours = runner._sample(compiled, SAMPLER, 500, accept)
    theirs = nutpie.sample(compiled, **nutpie_arguments(SAMPLER, 500, accept))
    assert set(ours.children) == {"posterior", "sample_stats"}
    for group, names in (("posterior", None), ("sample_stats", list(SAMPLE_STATS))):
        mine = ours[group].to_dataset()
        ref = theirs[group].to_dataset()
        ref = ref if names is None else ref[names]
        # The time of conversion differs; every other attribute must be nutpie's.
        for ds in (mine, ref):
            assert ds.attrs.pop("created_at")
        xr.testing.assert_identical(mine, ref)
        assert list(mine.data_vars) == list(ref.data_vars)
        assert list(mine.coords) == list(ref.coords)
        for name in mine.variables:
            assert mine[name].dtype == ref[name].dtype, name
