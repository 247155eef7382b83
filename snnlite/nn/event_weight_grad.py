"""Event-driven weight gradient of a fully connected layer fed with spikes.

For ``y = x @ W.T`` the weight gradient is ``dW = grad.T @ x``; input-major, as the event
path stores its weights, ``dWT = x.T @ grad``. With spikes ``x`` most terms are zero, so only
the events are visited::

    dWT[i, :] = sum_{r : x[r, i] != 0} x[r, i] * grad[r, :]      (rows r in increasing order)

The inputs are split over the cores in tiles of :data:`INPUTS` (one cache line of float32
spikes), tile ``t`` going to worker ``t mod workers``: each worker owns its rows of ``dWT``,
so no two cores write the same weight, and the interleaving shares dense and sparse parts of an
image between the cores. The rows ``r`` are taken in blocks of :data:`ROWS`: for each input of
a tile the block's events are gathered (a branch-free pass over that input's column), then
added four per pass over the contiguous row ``dWT[i, :]`` (vector fused multiply-adds; the
block's rows of ``grad`` stay in cache for all inputs of the worker). Each weight's sum is
formed event after event in increasing row order, so the result does not depend on the number
of cores.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads

from .._blas import release_blas_threads
from .._jit import njit, prange
from .event_linear import flat_index

__all__ = ["INPUTS", "ROWS", "event_weight_grad"]

#: Inputs per tile (one 64-byte cache line of float32 spikes).
INPUTS = 16
#: Rows per block: the block's ``grad`` rows (64 x 256 float32 = 64 kB for W4) stay in L2.
ROWS = 64

_FAST = {"contract"}  # fused multiply-add; no reassociation (results stay deterministic)


@njit(parallel=True, fastmath=_FAST)
def _kernel(x, grad, dWT, workers):  # pragma: no cover - compiled
    """``dWT[...] = x.T @ grad`` by events; worker ``w`` owns the input tiles ``w, w +
    workers, ...`` (module docstring)."""
    R, n_in = x.shape
    n_out = grad.shape[1]
    xf, gf, df = x.ravel(), grad.ravel(), dWT.ravel()
    tiles = (n_in + INPUTS - 1) // INPUTS
    for w in prange(workers):
        row = np.empty(ROWS, np.uint64)  # flat index of grad[r, 0] for each event of an input
        val = np.empty(ROWS, dWT.dtype)
        for t in range(w, tiles, workers):
            for i in range(t * INPUTS, min(n_in, (t + 1) * INPUTS)):
                d = flat_index(i, n_out, 0)
                for j in range(n_out):
                    df[d + np.uint64(j)] = 0
        for r0 in range(0, R, ROWS):
            rows = min(R, r0 + ROWS) - r0
            for t in range(w, tiles, workers):
                for i in range(t * INPUTS, min(n_in, (t + 1) * INPUTS)):
                    m = np.uint64(0)
                    x0, g0 = flat_index(r0, n_in, i), flat_index(r0, n_out, 0)
                    for k in range(rows):  # branch-free: write always, advance on a spike
                        s = xf[x0 + np.uint64(k * n_in)]
                        row[m] = g0 + np.uint64(k * n_out)
                        val[m] = s
                        m += np.uint64(s != 0)
                    d = flat_index(i, n_out, 0)
                    e = 0
                    while e + 4 <= m:  # four events per pass over dWT[i, :]
                        a, b, c, f = row[e], row[e + 1], row[e + 2], row[e + 3]
                        va, vb, vc, vf = val[e], val[e + 1], val[e + 2], val[e + 3]
                        for j in range(n_out):  # left to right: the one-event-at-a-time sum
                            u = np.uint64(j)
                            df[d + u] = (df[d + u] + va * gf[a + u] + vb * gf[b + u]
                                         + vc * gf[c + u] + vf * gf[f + u])
                        e += 4
                    for e_last in range(e, m):  # the last 0-3 events
                        a, va = row[e_last], val[e_last]
                        for j in range(n_out):
                            df[d + np.uint64(j)] += va * gf[a + np.uint64(j)]


def event_weight_grad(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``x.T @ grad`` (the input-major weight gradient) from the non-zeros of ``x``.

    Parameters
    ----------
    x : (R, n_in) array
        The layer's input: spikes (int8 or float in {-1, 0, 1}) or any real values; zeros
        are skipped.
    grad : (R, n_out) float array
        Gradient of the loss with respect to the layer's output.

    Returns
    -------
    (n_in, n_out) array of the common dtype of ``x`` and ``grad``
        ``dWT``; the layer's weight gradient is its transpose.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 0], [0, -1], [1, 1]], np.int8)
    >>> event_weight_grad(x, np.arange(6.0).reshape(3, 2)).tolist()
    [[4.0, 6.0], [2.0, 2.0]]
    """
    if x.ndim != 2 or grad.ndim != 2 or x.shape[0] != grad.shape[0]:
        raise ValueError(f"event_weight_grad needs x (R, n_in) and grad (R, n_out), got shapes "
                         f"{x.shape} and {grad.shape}")
    dtype = np.result_type(x.dtype, grad.dtype)
    if dtype.kind != "f":
        raise TypeError(f"grad must be a float array, got dtype {grad.dtype}")
    dWT = np.empty((x.shape[1], grad.shape[1]), dtype)
    tiles = (x.shape[1] + INPUTS - 1) // INPUTS
    release_blas_threads()  # spinning BLAS workers would share the cores
    _kernel(np.ascontiguousarray(x), np.ascontiguousarray(grad, dtype=dtype), dWT,
            max(1, min(get_num_threads(), tiles)))
    return dWT
