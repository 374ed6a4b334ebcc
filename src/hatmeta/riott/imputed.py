"""A trial's exact binomial likelihood in the pooled model, with its own parameters integrated out.

In the pooled random-effects model (:mod:`hatmeta.bayes.model`) trial ``i`` has its own baseline
``m ~ Normal(0, baseline_sd)`` (the mean log-odds of its two arms) and effect
``delta ~ Normal(d, tau)``. Given the pooled log odds ratio ``d`` and the heterogeneity ``tau``,
what its counts (``r_t`` of ``n_t``, ``r_c`` of ``n_c``) say is::

    w(d, tau) = integral of Bin(r_t | n_t, expit(m + delta/2)) Bin(r_c | n_c, expit(m - delta/2))
                x Normal(m | 0, baseline_sd) x Normal(delta | d, tau)  over m and delta

It is computed exactly, up to quadrature error (checked against adaptive quadrature in the
tests, to a relative 1e-4 or better), in two steps:

1. ``L(delta)``, the integral over ``m``, on a lattice of ``delta``: the trapezoid rule on a fine
   lattice of ``m`` on which ``m + delta/2`` and ``m - delta/2`` also lie, so that every pair of
   counts at one ``delta`` is one matrix product. The lattice is finer for a trial whose log odds
   ratio is known more precisely (:func:`lattice_step`);
2. the integral over ``delta``: ``L`` is taken as the quadratic through each lattice cell's end
   points with the curvature of the neighbouring second differences, and integrated exactly
   against ``Normal(delta | d, tau)`` with the normal's truncated moments, cell by cell, so that a
   narrow normal (small ``tau``) is as exact as a wide one.

With ``d`` on the lattice, step 2 depends on ``d`` only through the offset of each cell from
``d``: one kernel per ``tau`` serves every ``d`` (:func:`kernel`).

RIOTT's evidence under a missing-test scenario is a set of imputed pairs of responder counts
(:mod:`hatmeta.riott.testlevel`), each entering through this likelihood; RIOTT's own odds ratio
under a pair is the same likelihood with ``delta`` given the pooled model's effect prior
``Normal(0, effect_sd)`` (:func:`riott_alone`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

#: Lattice step of ``m`` (and of ``delta / 2``) for a trial of RIOTT's size: fine beside the
#: likelihood's width in log-odds (at least about 0.3 for arms of 40 patients).
STEP = 0.02
#: The ``delta`` lattice's step is at most this fraction of a trial's log-OR standard error.
RESOLUTION = 1 / 8
#: ``m`` is integrated over +-M_LIMIT: 8 prior SDs at baseline_sd 5, so all-responder arms,
#: whose likelihood stays flat towards +inf, lose nothing to truncation.
M_LIMIT = 40.0
#: ``delta`` (and the pooled ``d``) from -DELTA_LIMIT to DELTA_LIMIT: odds ratios beyond
#: e^10 carry no weight.
DELTA_LIMIT = 10.0


def lattice_step(r_treatment: int, n_treatment: int, r_control: int, n_control: int) -> float:
    """The ``m`` step for one trial: :data:`STEP` halved until the ``delta`` lattice step is at
    most :data:`RESOLUTION` x the trial's log-OR standard error (Woolf's, 0.5 added to the cells
    of a trial with a zero cell). Dyadic, so that every lattice contains the coarsest one."""
    cells = np.array(
        [r_treatment, n_treatment - r_treatment, r_control, n_control - r_control], dtype=float
    )
    if (cells == 0).any():
        cells += 0.5
    se = float(np.sqrt(np.sum(1 / cells)))
    halvings = max(0, math.ceil(math.log2(2 * STEP / (RESOLUTION * se))))
    return STEP / 2**halvings


def _log_binomial(r: np.ndarray, n: int, x: np.ndarray) -> np.ndarray:
    """log Bin(r | n, expit(x)) for counts ``r`` (rows) and log-odds ``x`` (columns)."""
    r = np.asarray(r, dtype=float)[:, None]
    coefficient = special.gammaln(n + 1) - special.gammaln(r + 1) - special.gammaln(n - r + 1)
    return (
        coefficient + r * special.log_expit(x[None, :]) + (n - r) * special.log_expit(-x[None, :])
    )


@dataclass(frozen=True)
class DeltaLikelihood:
    """``log L(delta)`` of every count pair: ``log_l[g, i, j]`` for ``deltas[g]``,
    ``r_treatment[i]`` and ``r_control[j]``."""

    deltas: np.ndarray
    r_treatment: np.ndarray
    r_control: np.ndarray
    log_l: np.ndarray

    @property
    def step(self) -> float:
        return float(self.deltas[1] - self.deltas[0])

    def pairs(self) -> np.ndarray:
        """Every pair ``(r_t, r_c)``, in the order of :meth:`flat`'s columns."""
        grid = np.meshgrid(self.r_treatment, self.r_control, indexing="ij")
        return np.stack([g.ravel() for g in grid], axis=1)

    def flat(self) -> np.ndarray:
        """``log L`` as ``deltas x pairs``."""
        return self.log_l.reshape(len(self.deltas), -1)

    def pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The piecewise quadratic of step 2, per cell and pair: ``L(left + t) = scale x
        (value + linear t + half_curvature t^2)``; returns ``value``, ``linear`` and
        ``half_curvature`` (cells x pairs) and ``log(scale)`` (pairs)."""
        h = self.step
        log_l = self.flat()
        top = log_l.max(axis=0)
        values = np.exp(log_l - top)
        second = np.zeros_like(values)
        second[1:-1] = (values[2:] - 2 * values[1:-1] + values[:-2]) / h**2
        curvature = 0.5 * (second[:-1] + second[1:])
        linear = np.diff(values, axis=0) / h - 0.5 * h * curvature
        return values[:-1], linear, 0.5 * curvature, top

    def index_of(self, d: np.ndarray) -> np.ndarray:
        """Lattice indices of the values ``d`` (which must lie on the lattice)."""
        index = np.rint((np.asarray(d) - self.deltas[0]) / self.step).astype(int)
        if not np.allclose(self.deltas[index], d, atol=1e-9):
            raise ValueError("the pooled-effect grid must lie on the trial's delta lattice")
        return index


def delta_likelihood(
    r_treatment, n_treatment: int, r_control, n_control: int, baseline_sd: float, step=STEP
) -> DeltaLikelihood:
    """``log L(delta)``, the likelihood with the baseline integrated out, for every pair of
    counts in ``r_treatment x r_control`` on a lattice of ``delta`` with step ``2 x step``."""
    r_treatment, r_control = np.atleast_1d(r_treatment), np.atleast_1d(r_control)
    u = np.arange(-round(M_LIMIT / step), round(M_LIMIT / step) + 1) * step
    log_t = _log_binomial(r_treatment, n_treatment, u)
    log_c = _log_binomial(r_control, n_control, u)
    top_t, top_c = log_t.max(axis=1, keepdims=True), log_c.max(axis=1, keepdims=True)
    scaled_t, scaled_c = np.exp(log_t - top_t), np.exp(log_c - top_c)
    shifts = np.arange(-round(DELTA_LIMIT / (2 * step)), round(DELTA_LIMIT / (2 * step)) + 1)
    prior = np.exp(-0.5 * (u / baseline_sd) ** 2) / (baseline_sd * np.sqrt(2 * np.pi))
    out = np.empty((len(shifts), len(r_treatment), len(r_control)))
    for g, j in enumerate(shifts):
        # m = u[i]: the treatment arm's log-odds is u[i + j], the control arm's u[i - j].
        i = np.arange(abs(j), len(u) - abs(j))
        out[g] = (scaled_t[:, i + j] * prior[i]) @ scaled_c[:, i - j].T * step
    with np.errstate(divide="ignore"):
        log_l = np.log(out) + top_t[None] + top_c.T[None]
    return DeltaLikelihood(2 * step * shifts, r_treatment, r_control, log_l)


def kernel(tau: np.ndarray, n_cells: int, h: float) -> np.ndarray:
    """``E[t^k 1(cell)]`` for ``k = 0, 1, 2``, ``X ~ Normal(0, tau)``, cells ``[o h, (o + 1) h]``
    for offsets ``o = -n_cells .. n_cells - 1`` and ``t = X - o h``: ``3 x len(tau) x 2 n_cells``.

    Column ``o + n_cells`` is the cell starting ``o`` lattice steps from ``d``; ``tau`` must be
    positive (a tiny ``tau`` stands for 0: the kernel then picks ``L(d)``).
    """
    offsets = np.arange(-n_cells, n_cells)
    sd = np.asarray(tau, dtype=float)[:, None]
    left, right = offsets[None, :] * h, (offsets[None, :] + 1) * h
    z_left, z_right = left / sd, right / sd
    # CDF differences taken in the tail nearer each cell, where they keep their precision.
    mass = np.where(
        z_left > 0,
        special.ndtr(-z_left) - special.ndtr(-z_right),
        special.ndtr(z_right) - special.ndtr(z_left),
    )
    pdf_left = np.exp(-0.5 * z_left**2) / np.sqrt(2 * np.pi)
    pdf_right = np.exp(-0.5 * z_right**2) / np.sqrt(2 * np.pi)
    mu = -left  # the normal's mean relative to the cell's left end
    first = mu * mass + sd * (pdf_left - pdf_right)
    second = (mu**2 + sd**2) * mass + sd * (mu * pdf_left - (h + mu) * pdf_right)
    return np.stack([mass, first, second])


def integrated(likelihood: DeltaLikelihood, d: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """``log w(d, tau)`` of a one-pair likelihood for every ``d`` (on its lattice) and ``tau``:
    ``len(d) x len(tau)``."""
    if likelihood.flat().shape[1] != 1:
        raise ValueError("integrated() takes the likelihood of one pair of counts")
    value, linear, half_curvature, top = (np.ravel(p) for p in likelihood.pieces())
    n_cells = len(value)
    moments = kernel(tau, n_cells, likelihood.step)
    out = np.empty((len(d), len(tau)))
    for row, a in enumerate(likelihood.index_of(d)):
        cells = slice(n_cells - a, 2 * n_cells - a)  # offsets -a .. n_cells - 1 - a
        out[row] = (
            moments[0][:, cells] @ value
            + moments[1][:, cells] @ linear
            + moments[2][:, cells] @ half_curvature
        )
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(out, 0.0)) + top[0]


def mixed(
    likelihood: DeltaLikelihood, d: np.ndarray, tau: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``sum over tau of weights[d, tau] x w(d, tau)`` for every ``d`` and every pair: the
    marginal density of ``d`` once the pair's evidence is added to a posterior tabulated as
    ``weights`` on ``d x tau`` (``len(d) x pairs``, each pair up to its own scale)."""
    value, linear, half_curvature, _ = likelihood.pieces()
    n_cells = len(value)
    moments = kernel(tau, n_cells, likelihood.step)
    out = np.empty((len(d), value.shape[1]))
    for row, a in enumerate(likelihood.index_of(d)):
        cells = slice(n_cells - a, 2 * n_cells - a)
        mixed_moments = weights[row] @ moments[:, :, cells]  # 3 x cells
        out[row] = (
            mixed_moments[0] @ value + mixed_moments[1] @ linear + mixed_moments[2] @ half_curvature
        )
    return np.maximum(out, 0.0)


def cumulative(density: np.ndarray, h: float) -> np.ndarray:
    """The CDF, along the last axis, of densities tabulated at step ``h``: cell integrals of the
    same piecewise quadratic as :meth:`DeltaLikelihood.pieces`, normalised to end at 1."""
    second = np.zeros_like(density)
    second[..., 1:-1] = (density[..., 2:] - 2 * density[..., 1:-1] + density[..., :-2]) / h**2
    curvature = 0.5 * (second[..., 1:] + second[..., :-1])
    cells = 0.5 * h * (density[..., 1:] + density[..., :-1]) - h**3 * curvature / 12
    zero = np.zeros((*density.shape[:-1], 1))
    cdf = np.concatenate([zero, np.cumsum(cells, axis=-1)], axis=-1)
    return cdf / cdf[..., -1:]


def riott_alone(likelihood: DeltaLikelihood, effect_sd: float) -> np.ndarray:
    """Posterior of RIOTT's own log odds ratio under each count pair, with the pooled model's
    effect prior ``Normal(0, effect_sd)``: its CDF at ``likelihood.deltas``, ``pairs x
    deltas``."""
    deltas = likelihood.deltas
    log_post = likelihood.flat().T - 0.5 * (deltas[None, :] / effect_sd) ** 2
    return cumulative(np.exp(log_post - log_post.max(axis=1, keepdims=True)), likelihood.step)
