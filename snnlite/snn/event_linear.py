"""Event-driven linear synapse: add a weight row for every input spike, multiply nothing.

For spike input ``s (R, K)`` in {-1, 0, +1} the current of a ``Linear`` synapse is
``I = s @ W.T``: every spike adds (or, when negative, subtracts) one column of ``W`` to its
row's current. With a sparse binary input that is far less work than the dense product,
but only if the memory traffic is arranged well: rows are processed in blocks whose current
fits in the L2 cache, tiles of outputs whose current fits in L1, and for each input ``j``
the tile of the weight row ``W.T[j]`` is loaded once per block and added to every row of
the block in which ``j`` spiked (the inner loop over outputs vectorises). Blocks run in
parallel.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange

__all__ = ["event_linear"]

_ROWS = 32  # rows per block
_COLS = 256  # outputs per tile: a 32 x 256 float32 tile of the current (32 KB) stays in L1


@njit(parallel=True, fastmath=True)
def _event_linear_kernel(spikes, wt, out):  # pragma: no cover - compiled
    """``out (R, N) += spikes (R, K) @ wt (K, N)`` for int8 spikes, by row additions."""
    R, K = spikes.shape
    N = wt.shape[1]
    n_blocks = (R + _ROWS - 1) // _ROWS
    for blk in prange(n_blocks):
        r0 = blk * _ROWS
        r1 = min(R, r0 + _ROWS)
        for c0 in range(0, N, _COLS):
            c1 = min(N, c0 + _COLS)
            for j in range(K):
                w = wt[j, c0:c1]
                for r in range(r0, r1):
                    s = spikes[r, j]
                    if s == 0:
                        continue
                    o = out[r, c0:c1]
                    if s == 1:
                        for n in range(c1 - c0):
                            o[n] += w[n]
                    elif s == -1:
                        for n in range(c1 - c0):
                            o[n] -= w[n]
                    else:
                        for n in range(c1 - c0):
                            o[n] += s * w[n]


def event_linear(spikes: np.ndarray, weight_t: np.ndarray) -> np.ndarray:
    """``spikes @ weight_t`` for int8 spikes, computed by adding weight rows.

    Parameters
    ----------
    spikes : ndarray of int8, shape (R, K)
        Input events (any small integers; +1 and -1 are the fast cases).
    weight_t : ndarray of float, shape (K, N)
        The transposed weight ``W.T`` of a ``Linear`` layer, C-contiguous.

    Returns
    -------
    ndarray, shape (R, N), dtype of ``weight_t``
        Equal to ``spikes.astype(weight_t.dtype) @ weight_t`` up to the order of the sums.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[1, 0, -1]], np.int8)
    >>> w = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> event_linear(s, w)
    array([[-4., -4.]], dtype=float32)
    """
    if spikes.dtype != np.int8 or spikes.ndim != 2:
        raise ValueError(f"spikes must be a 2-D int8 array, got {spikes.dtype} {spikes.shape}")
    if weight_t.ndim != 2 or weight_t.shape[0] != spikes.shape[1]:
        raise ValueError(f"weight_t must be ({spikes.shape[1]}, N), got {weight_t.shape}")
    out = np.zeros((spikes.shape[0], weight_t.shape[1]), weight_t.dtype)
    _event_linear_kernel(np.ascontiguousarray(spikes), np.ascontiguousarray(weight_t), out)
    return out
