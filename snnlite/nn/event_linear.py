"""Event-driven product with a spike array: add the weight rows of the inputs that spiked.

A dense layer computes ``I = a_in * s @ W.T`` for spikes ``s`` of which most are zero. The
event path computes the same sum over the events only (B14 with the zero terms skipped)::

    I[r, :] = a_in * sum_{i : s[r, i] != 0} s[r, i] * WT[i, :]

with ``WT = W.T`` stored input-major, so each event reads one contiguous row of ``n_out``
weights. The loops are arranged for the vector units: the rows ``r`` (samples x steps) are
split into blocks of :data:`ROWS` over the cores; inside a block the outputs are taken in
tiles of :data:`TILE` columns, and all events of a row are added into a tile-sized
accumulator (in L1) before it is written, so one tile of ``WT`` (784 x 128 float32 = 400 kB)
stays in the core's L2 cache while every row of the block passes over it. The adds are
vector fused multiply-adds (``vfmadd...ps`` on ``zmm``/``ymm`` registers; see
``tests/snn/test_event_synapse.py``, which checks the compiled code).

Used by the spiking layers (:mod:`snnlite.snn.path_choice`, which also feeds it lazy Poisson
input) and by :class:`~snnlite.nn.Linear` for spike input.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads

from .._blas import release_blas_threads
from .._jit import njit, prange

__all__ = ["ROWS", "TILE", "event_linear", "flat_index", "make_kernel", "run_kernel", "store"]

#: Output columns accumulated together (8 zmm / 16 ymm registers of float32).
TILE = 128
#: Rows (sample-steps) per parallel block: a block's events are gathered once, then reused
#: for every output tile.
ROWS = 64

_FAST = {"contract"}  # allow fused multiply-add; no reassociation (results stay deterministic)


@njit(inline="always")
def flat_index(row, width, col):  # pragma: no cover - compiled
    """Flat index ``row * width + col`` of a C-contiguous 2-D array, unsigned (no
    negative-index wrap code in the adds)."""
    return np.uint64(row * width + col)


@njit(inline="always")
def store(acc, lo, n, r, j0, args):  # pragma: no cover - compiled
    """The plain epilogue: ``out[r, j0 + j] = scale * acc[j]`` for ``j`` in ``lo .. n-1``;
    ``args = (out, scale)``."""
    out, scale = args
    for j in range(lo, n):
        out[r, j0 + j] = acc[j] * scale


def make_kernel(width: int, epilogue):
    """The event kernel for output tiles of ``width`` columns (0: one tile of all columns),
    handing each finished row tile to ``epilogue``.

    A constant width lets LLVM unroll a tile into vector registers, so wide layers
    (``n_out >= TILE``) get their own compiled copy, :data:`_kernel_tiles`; narrower ones use
    :data:`_kernel_narrow`. The row adds stay in the body of the parallel loop: compiled
    there they run ~1.5x faster than in a called function (measured; the parallel body's
    arrays are known not to alias). The accumulator lives in memory (L1), so the events
    are added four at a time: one load and one store of ``acc`` per four weight rows. The
    sum is still formed event after event, in input order, so the result is bit for bit
    that of one event at a time (W1's 784 x 1000 layer: 62 -> 41 ms for 12 800 rows on two
    cores; 2 or 8 events per pass were slower).

    Arguments: ``x (R, n_in)`` the spikes, ``WT (n_in, n_out)``, ``batch`` (``B``: the rows
    are ``R / B`` steps of ``B`` samples), ``workers`` and the epilogue's ``args``. Worker
    ``w`` takes the sample blocks ``w, w + workers, ...`` of :data:`ROWS` samples, step after
    step, and allocates its buffers once (a fresh allocation per block costs page faults):
    every row of a sample is finished by the same worker, in step order, so an epilogue may
    advance a neuron state (:mod:`snnlite.snn.fused_scan`). ``epilogue(acc, lo, n, r, j0,
    args)`` receives columns ``j0 + lo .. j0 + n - 1`` of row ``r`` (``lo > 0`` only for the
    last tile, which overlaps the one before it).
    """

    def kernel(x, WT, batch, workers, args):  # pragma: no cover - compiled
        R, n_in = x.shape
        n_out = WT.shape[1]
        n = width if width else n_out
        WTf = WT.ravel()
        steps, blocks = R // batch, (batch + ROWS - 1) // ROWS
        for w in prange(workers):
            ptr = np.empty(ROWS + 1, np.int64)
            idx = np.empty(ROWS * n_in, np.int64)
            val = np.empty(ROWS * n_in, WT.dtype)
            acc = np.empty(n, WT.dtype)
            for t in range(steps):
                for blk in range(w, blocks, workers):
                    r0 = t * batch + blk * ROWS
                    rows = min(batch - blk * ROWS, ROWS)
                    m = 0
                    for k in range(rows):  # 1. the events of each row, in input order
                        ptr[k] = m
                        x_row = x[r0 + k]
                        for i in range(n_in):  # branch-free: write always, advance on a spike
                            s = x_row[i]
                            idx[m] = i
                            val[m] = s
                            m += s != 0
                    ptr[rows] = m
                    for tile in range((n_out + n - 1) // n):  # 2. add the rows, tile by tile
                        j0 = min(tile * n, n_out - n)  # the last tile overlaps the one before
                        for k in range(rows):
                            for j in range(n):
                                acc[j] = 0
                            e, end = ptr[k], ptr[k + 1]
                            while e + 4 <= end:  # four events per pass over the tile
                                b0 = flat_index(idx[e], n_out, j0)
                                b1 = flat_index(idx[e + 1], n_out, j0)
                                b2 = flat_index(idx[e + 2], n_out, j0)
                                b3 = flat_index(idx[e + 3], n_out, j0)
                                v0, v1, v2, v3 = val[e], val[e + 1], val[e + 2], val[e + 3]
                                for j in range(n):  # left to right: one event at a time's sum
                                    u = np.uint64(j)
                                    acc[j] = (acc[j] + v0 * WTf[b0 + u] + v1 * WTf[b1 + u]
                                              + v2 * WTf[b2 + u] + v3 * WTf[b3 + u])
                                e += 4
                            for e_last in range(e, end):  # the last 0-3 events
                                b0, v0 = flat_index(idx[e_last], n_out, j0), val[e_last]
                                for j in range(n):
                                    acc[j] += v0 * WTf[b0 + np.uint64(j)]
                            epilogue(acc, tile * n - j0, n, r0 + k, j0, args)

    return njit(parallel=True, fastmath=_FAST)(kernel)


_kernel_tiles = make_kernel(TILE, store)
_kernel_narrow = make_kernel(0, store)


def run_kernel(x: np.ndarray, WT: np.ndarray, batch: int, tiles, narrow, args) -> None:
    """Run ``tiles`` (``n_out >= TILE``) or ``narrow`` (a pair from :func:`make_kernel`) on
    ``x (R, n_in)`` with ``batch`` samples per step, over the cores."""
    if x.shape[0] % batch:
        raise ValueError(f"{x.shape[0]} rows are not whole steps of batch {batch}")
    release_blas_threads()  # spinning BLAS workers would share the cores
    workers = max(1, min(get_num_threads(), (batch + ROWS - 1) // ROWS))
    kernel = tiles if WT.shape[1] >= TILE else narrow
    kernel(np.ascontiguousarray(x), WT, batch, workers, args)


def event_linear(x: np.ndarray, WT: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``scale * x @ WT`` by adding the rows of ``WT`` selected by the non-zeros of ``x``.

    Parameters
    ----------
    x : (R, n_in) array
        Spikes (int8 in {-1, 0, 1}) or any real values; zeros are skipped.
    WT : (n_in, n_out) C-contiguous float array
        Input-major weights (``Linear.weight.data.T``); sets the result's dtype.
    scale : float
        Amplitude of the incoming spikes (``a_in``), applied once per output.

    Returns
    -------
    (R, n_out) array of ``WT.dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> WT = np.arange(6, dtype=np.float64).reshape(3, 2)
    >>> event_linear(np.array([[1, 0, -1]], np.int8), WT).tolist()
    [[-4.0, -4.0]]
    """
    if x.ndim != 2 or WT.ndim != 2 or x.shape[1] != WT.shape[0]:
        raise ValueError(f"event_linear needs x (R, n_in) and WT (n_in, n_out), got shapes "
                         f"{x.shape} and {WT.shape}")
    out = np.empty((x.shape[0], WT.shape[1]), WT.dtype)
    WT = np.ascontiguousarray(WT)
    run_kernel(x, WT, max(1, x.shape[0]), _kernel_tiles, _kernel_narrow,
               (out, WT.dtype.type(scale)))
    return out
