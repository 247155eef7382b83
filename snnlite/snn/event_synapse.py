"""Event-driven Linear synapse: add the weight rows of the inputs that spiked.

A dense layer computes ``I = a_in * s @ W.T`` for spikes ``s`` of which most are zero. The
event path computes the same sum over the events only (B14 with the zero terms skipped)::

    I[r, :] = a_in * sum_{i : s[r, i] != 0} s[r, i] * WT[i, :]

with ``WT = W.T`` stored input-major, so each event reads one contiguous row of ``n_out``
weights. The loops are arranged for the vector units: the rows ``r`` (samples x steps) are
split into blocks of :data:`ROWS` over the cores; inside a block the outputs are taken in
tiles of :data:`TILE` columns, and all events of a row are added into a tile-sized
accumulator (in registers / L1) before it is written, so one tile of ``WT`` (784 x 128
float32 = 400 kB) stays in the core's L2 cache while every row of the block passes over it.
The adds are vector fused multiply-adds (``vfmadd...ps`` on ``zmm``/``ymm`` registers; see
``tests/snn/test_event_synapse.py``, which checks the compiled code).

Two event sources share the accumulation:

* a spike array ``(R, n_in)`` (int8 in {-1, 0, 1}, or floats such as spikes times an
  amplitude): :func:`event_linear`;
* a Poisson stream (:class:`~snnlite.snn.poisson_input.PoissonInput`): the spikes are drawn
  inside the kernel with the same SplitMix64 comparison as
  :mod:`snnlite.snn.fast_bernoulli` (so they are identical to the materialised encoder's),
  counted there, and never stored: :func:`poisson_event_linear`.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads

from .._jit import njit, prange
from .context import SpikeCounts
from .fast_bernoulli import bernoulli_hit

__all__ = ["ROWS", "TILE", "event_linear", "poisson_event_linear"]

#: Output columns accumulated together (8 zmm / 16 ymm registers of float32).
TILE = 128
#: Rows (sample-steps) per parallel block: a block's events are gathered once, then reused
#: for every output tile.
ROWS = 64

_FAST = {"contract"}  # allow fused multiply-add; no reassociation (results stay deterministic)


def _make_kernel(width: int):
    """The event kernel for output tiles of ``width`` columns (0: one tile of all columns).

    A constant width lets LLVM unroll a tile into vector registers, so wide layers
    (``n_out >= TILE``) get their own compiled copy, :data:`_kernel_tiles`; narrower ones use
    :data:`_kernel_narrow`. The row adds stay in the body of the parallel loop: compiled
    there they run ~1.5x faster than in a called function (measured; the parallel body's
    arrays are known not to alias).

    The kernel's arguments: ``x`` the spike array ``(R, n_in)`` (``draw`` False) or, with
    ``draw`` True, the Poisson stream ``key, p24, sign`` whose row ``row0 + r`` is sample
    ``(row0 + r) % B`` and whose input ``i`` spikes iff :func:`bernoulli_hit` of element
    ``(row0 + r) * n_in + i`` (counted per row in ``row_pos/neg`` and per worker and input in
    ``in_pos/neg``); ``WT (n_in, n_out)``, ``scale``, ``out (R, n_out)``; ``workers``: worker
    ``w`` takes the blocks of :data:`ROWS` rows ``w, w + workers, ...`` and allocates its
    buffers once.
    """

    def kernel(x, draw, key, p24, sign, row0, B, WT, scale, out, row_pos, row_neg,
               in_pos, in_neg, workers):  # pragma: no cover - compiled
        R, n_out = out.shape
        n_in = WT.shape[0]
        n = width if width else n_out
        WTf = WT.ravel()
        blocks = (R + ROWS - 1) // ROWS
        for w in prange(workers):
            ptr = np.empty(ROWS + 1, np.int64)
            idx = np.empty(ROWS * n_in, np.int64)
            val = np.empty(ROWS * n_in, out.dtype)
            hits = np.empty(n_in, np.int8)
            acc = np.empty(n, out.dtype)
            for blk in range(w, blocks, workers):
                r0 = blk * ROWS
                rows = min(R, r0 + ROWS) - r0
                m = 0
                for k in range(rows):  # 1. the events of each row, in input order
                    ptr[k] = m
                    if draw:
                        row = row0 + r0 + k
                        first = (row % B) * n_in
                        p_row = p24[first:first + n_in]  # slices: the loop index is >= 0
                        sign_row = sign[first:first + n_in]
                        elem0 = np.uint64(row * n_in)
                        for i in range(n_in):  # independent draws: vectorised
                            hit = bernoulli_hit(key, elem0 + np.uint64(i), p_row[i])
                            hits[i] = sign_row[i] if hit else 0
                        npos, nneg = 0, 0
                        for i in range(n_in):  # counts, vectorised
                            npos += hits[i] > 0
                            nneg += hits[i] < 0
                            in_pos[w, i] += hits[i] > 0
                            in_neg[w, i] += hits[i] < 0
                        row_pos[r0 + k], row_neg[r0 + k] = npos, nneg
                        for i in range(n_in):  # branch-free: write always, advance on a spike
                            idx[m] = i
                            val[m] = hits[i]
                            m += hits[i] != 0
                    else:
                        x_row = x[r0 + k]
                        for i in range(n_in):
                            s = x_row[i]
                            idx[m] = i
                            val[m] = s
                            m += s != 0
                ptr[rows] = m
                for tile in range((n_out + n - 1) // n):  # 2. add the rows, tile by tile
                    j0 = min(tile * n, n_out - n)  # last tile overlaps: same values rewritten
                    for k in range(rows):
                        for j in range(n):
                            acc[j] = 0
                        for e in range(ptr[k], ptr[k + 1]):
                            base = np.uint64(idx[e] * n_out + j0)  # unsigned: no wrap code
                            v = val[e]
                            for j in range(n):
                                acc[j] += v * WTf[base + np.uint64(j)]
                        for j in range(n):
                            out[r0 + k, j0 + j] = acc[j] * scale

    return njit(parallel=True, fastmath=_FAST)(kernel)


_kernel_tiles = _make_kernel(TILE)
_kernel_narrow = _make_kernel(0)


def _run(x, key, p24, sign, row0, B, WT, scale, out, row_pos, row_neg, in_pos, in_neg):
    """Call the kernel for ``out``'s width (``x`` None: draw from the Poisson stream)."""
    draw = x is None
    if draw:
        x = np.zeros((1, 1), WT.dtype)
    kernel = _kernel_tiles if out.shape[1] >= TILE else _kernel_narrow
    with np.errstate(over="ignore"):  # SplitMix64 wraps around (matters only uncompiled)
        kernel(x, draw, key, p24, sign, row0, B, WT, WT.dtype.type(scale), out, row_pos,
               row_neg, in_pos, in_neg, len(in_pos))


def _workers(rows: int) -> int:
    """Parallel workers for ``rows`` rows: one per thread, at most one per block."""
    return max(1, min(get_num_threads(), (rows + ROWS - 1) // ROWS))


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
    none = np.zeros(1, np.int64)
    workers = np.zeros((_workers(x.shape[0]), 1), np.int64)
    _run(np.ascontiguousarray(x), np.uint64(0), np.zeros(1), np.zeros(1, np.int8), 0, 1,
         np.ascontiguousarray(WT), scale, out, none, none, workers, workers)
    return out


def poisson_event_linear(source, WT: np.ndarray, scale: float,
                         counts: SpikeCounts | None) -> np.ndarray:
    """The current of the steps of a lazy Poisson input, spikes drawn inside the kernel.

    Parameters
    ----------
    source : PoissonInput
        The steps ``source.t0 .. source.t0 + source.T - 1`` of a Poisson stream.
    WT : (n_in, n_out) float array
        Input-major weights; ``n_in`` = elements per sample of ``source``.
    scale : float
        Amplitude of the incoming spikes.
    counts : SpikeCounts or None
        Where the drawn input spikes are counted (per input and per step); None: not counted.

    Returns
    -------
    (T, B, n_out) array of ``WT.dtype``.
    """
    T, B = source.T, source.batch
    R, n_in = T * B, WT.shape[0]
    out = np.empty((R, WT.shape[1]), WT.dtype)
    row_pos, row_neg = np.empty(R, np.int64), np.empty(R, np.int64)
    workers = _workers(R)
    in_pos, in_neg = np.zeros((workers, n_in), np.int64), np.zeros((workers, n_in), np.int64)
    _run(None, source.key, source.p24, source.sign, source.t0 * B, B,
         np.ascontiguousarray(WT), scale, out, row_pos, row_neg, in_pos, in_neg)
    if counts is not None:
        t0 = source.t0
        counts.step_pos[t0:t0 + T] += row_pos.reshape(T, B).sum(axis=1)
        counts.step_neg[t0:t0 + T] += row_neg.reshape(T, B).sum(axis=1)
        counts.pos.reshape(-1)[...] += in_pos.sum(axis=0)
        counts.neg.reshape(-1)[...] += in_neg.sum(axis=0)
    return out.reshape(T, B, -1)
