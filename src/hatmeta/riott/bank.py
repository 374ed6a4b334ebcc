"""The bank: the pooled posterior under every possible pair of RIOTT's responder counts.

What the propagation jobs read (:mod:`hatmeta.riott.propagation`); NumPy only, so that reading
it costs them no SciPy or pandas start-up. How it is computed, by quadrature:
:mod:`hatmeta.riott.bank_build`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Bank:
    """The pooled posterior under every feasible pair of RIOTT's responder counts.

    ``pairs[k]`` is ``(r_treatment, r_control)``; ``cdf[k]`` the CDF of the pooled log OR at
    ``x``; ``riott_cdf[k]`` the CDF of RIOTT's own log OR at ``deltas``.
    """

    pairs: np.ndarray
    x: np.ndarray
    cdf: np.ndarray
    deltas: np.ndarray
    riott_cdf: np.ndarray

    def index(self) -> dict[tuple[int, int], int]:
        return {(int(t), int(c)): k for k, (t, c) in enumerate(self.pairs)}

    def save(self, path) -> None:
        from hatmeta.io import write_with

        arrays = {f.name: getattr(self, f.name) for f in fields(self)}

        def write(tmp):
            # A handle, not a path: savez would add ".npz" to the temporary name.
            with tmp.open("wb") as handle:
                np.savez_compressed(handle, **arrays)

        write_with(path, write)

    @classmethod
    def load(cls, path) -> Bank:
        with np.load(path) as stored:
            return cls(**{f.name: stored[f.name] for f in fields(cls)})
