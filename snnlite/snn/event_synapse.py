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

from .._jit import njit, prange
from .context import SpikeCounts
from .fast_bernoulli import bernoulli_hit

__all__ = ["ROWS", "TILE", "event_linear", "poisson_event_linear"]

#: Output columns accumulated together (8 zmm / 16 ymm registers of float32).
TILE = 128
#: Rows (sample-steps) per parallel block: a block's events are gathered once, then reused
#: for every output tile.
ROWS = 32

_FAST = {"contract"}  # allow fused multiply-add; no reassociation (results stay deterministic)


@njit(fastmath=_FAST)
def _tile_rows(ptr, idx, val, r0, j0, width, WTf, scale, acc, out):  # pragma: no cover
    """``out[r0+k, j0:j0+width] = scale * sum_e val[e] * WT[idx[e], j0:j0+width]``."""
    n_out = out.shape[1]
    for k in range(ptr.size - 1):
        for j in range(width):
            acc[j] = 0
        for e in range(ptr[k], ptr[k + 1]):
            base = np.uint64(idx[e] * n_out + j0)  # unsigned: no negative-index wrap code
            v = val[e]
            for j in range(width):
                acc[j] += v * WTf[base + np.uint64(j)]
        for j in range(width):
            out[r0 + k, j0 + j] = acc[j] * scale


@njit(fastmath=_FAST)
def _accumulate(ptr, idx, val, r0, WT, scale, out):  # pragma: no cover - compiled
    """All output tiles of the block of rows starting at ``r0`` (events in CSR form)."""
    n_out = out.shape[1]
    WTf = WT.ravel()
    acc = np.empty(TILE, out.dtype)
    if n_out < TILE:
        _tile_rows(ptr, idx, val, r0, 0, n_out, WTf, scale, acc, out)
        return
    for j0 in range(0, n_out - TILE + 1, TILE):  # constant width: fully vectorised
        _tile_rows(ptr, idx, val, r0, j0, TILE, WTf, scale, acc, out)
    if n_out % TILE:  # the last TILE columns again (the overlap gets the same values)
        _tile_rows(ptr, idx, val, r0, n_out - TILE, TILE, WTf, scale, acc, out)


@njit(parallel=True, fastmath=_FAST)
def _dense_source_kernel(x, WT, scale, out):  # pragma: no cover - compiled
    """Event path for a spike array ``x (R, n_in)``: gather each block's events, add rows."""
    R, n_in = x.shape
    for blk in prange((R + ROWS - 1) // ROWS):
        r0 = blk * ROWS
        rows = min(R, r0 + ROWS) - r0
        ptr = np.empty(rows + 1, np.int64)
        idx = np.empty(rows * n_in, np.int64)
        val = np.empty(rows * n_in, out.dtype)
        n = 0
        for k in range(rows):
            ptr[k] = n
            for i in range(n_in):  # branch-free gather: write always, advance on a spike
                s = x[r0 + k, i]
                idx[n] = i
                val[n] = s
                n += s != 0
        ptr[rows] = n
        _accumulate(ptr, idx, val, r0, WT, scale, out)


@njit(parallel=True, fastmath=_FAST)
def _poisson_source_kernel(key, p24, sign, row0, B, WT, scale, out, row_pos, row_neg,
                           in_pos, in_neg):  # pragma: no cover - compiled
    """Event path fed by the Poisson stream: row ``row0 + r`` is sample ``(row0 + r) % B``;
    its input ``i`` spikes iff :func:`bernoulli_hit` of element ``(row0 + r) * n_in + i``.
    Counts: per row (``row_pos/neg``) and per block and input (``in_pos/neg``)."""
    R = out.shape[0]
    n_in = WT.shape[0]
    for blk in prange((R + ROWS - 1) // ROWS):
        r0 = blk * ROWS
        rows = min(R, r0 + ROWS) - r0
        ptr = np.empty(rows + 1, np.int64)
        idx = np.empty(rows * n_in, np.int64)
        val = np.empty(rows * n_in, out.dtype)
        n = 0
        for k in range(rows):
            ptr[k] = n
            row = row0 + r0 + k
            first = (row % B) * n_in
            npos, nneg = 0, 0
            for i in range(n_in):
                hit = bernoulli_hit(key, np.uint64(row * n_in + i), p24[first + i])
                s = sign[first + i]
                idx[n] = i
                val[n] = s
                n += hit
                pos = hit and s > 0
                neg = hit and s < 0
                npos += pos
                nneg += neg
                in_pos[blk, i] += pos
                in_neg[blk, i] += neg
            row_pos[r0 + k] = npos
            row_neg[r0 + k] = nneg
        ptr[rows] = n
        _accumulate(ptr, idx, val, r0, WT, scale, out)


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
    _dense_source_kernel(np.ascontiguousarray(x), np.ascontiguousarray(WT),
                         WT.dtype.type(scale), out)
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
    blocks = (R + ROWS - 1) // ROWS
    in_pos, in_neg = np.zeros((blocks, n_in), np.int64), np.zeros((blocks, n_in), np.int64)
    with np.errstate(over="ignore"):  # SplitMix64 wraps around (matters only uncompiled)
        _poisson_source_kernel(source.key, source.p24, source.sign, source.t0 * B, B,
                               np.ascontiguousarray(WT), WT.dtype.type(scale), out,
                               row_pos, row_neg, in_pos, in_neg)
    if counts is not None:
        t0 = source.t0
        counts.step_pos[t0:t0 + T] += row_pos.reshape(T, B).sum(axis=1)
        counts.step_neg[t0:t0 + T] += row_neg.reshape(T, B).sum(axis=1)
        counts.pos.reshape(-1)[...] += in_pos.sum(axis=0)
        counts.neg.reshape(-1)[...] += in_neg.sum(axis=0)
    return out.reshape(T, B, -1)
