"""Is an array spikes, and how dense: one pass that stops early on analog values.

:class:`~snnlite.nn.Linear` takes the event path for spike input whose density (fraction of
non-zero entries) is below the crossover (:mod:`snnlite.nn.crossover`). Both questions are
answered by one compiled pass over the array: it counts the non-zero entries and stops at the
first block of :data:`BLOCK` values holding a value outside {-1, 0, 1}, so an analog image
costs a few thousand comparisons, not a pass over the batch. Inside a block the loop has no
branch and vectorises; large arrays are split over the cores (every part stops at its own
first analog block).
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads

from .._jit import njit, prange

__all__ = ["BLOCK", "spike_density"]

#: Values checked between two early-exit tests.
BLOCK = 4096
_PARALLEL = 1 << 18  # arrays at least this large are split over the cores


@njit(inline="always")
def _count(flat, lo, hi, check):  # pragma: no cover - compiled
    """Non-zero entries of ``flat[lo:hi]``, or -1 if ``check`` and one is not in {-1, 0, 1}."""
    count = 0
    for start in range(lo, hi, BLOCK):
        block = flat[start:min(hi, start + BLOCK)]  # a view: no negative-index code, vectorises
        analog = False
        for i in range(block.size):
            a = block[i]
            count += a != 0
            analog |= (a != 0) & (a != 1) & (a != -1)
        if check and analog:
            return -1
    return count


@njit
def _count_serial(flat, check):  # pragma: no cover - compiled
    return _count(flat, 0, flat.size, check)


@njit(parallel=True)
def _count_parallel(flat, check, parts):  # pragma: no cover - compiled
    n = flat.size
    size = (n + parts - 1) // parts
    counts = np.empty(parts, np.int64)
    for p in prange(parts):
        counts[p] = _count(flat, min(n, p * size), min(n, (p + 1) * size), check)
    return -1 if (counts < 0).any() else counts.sum()


def spike_density(x: np.ndarray) -> float | None:
    """The fraction of non-zero entries of ``x`` if ``x`` is a spike array, else None.

    Parameters
    ----------
    x : ndarray, any shape
        A spike array is int8 (any values: the spiking engine's spikes), or any real dtype
        whose values are all in {-1, 0, 1}. Anything else (an analog image, NaN) is not.

    Returns
    -------
    float or None
        Non-zero entries / size (0.0 for an empty array), or None for a non-spike array.

    Examples
    --------
    >>> import numpy as np
    >>> spike_density(np.array([[0.0, 1.0], [-1.0, 0.0]], np.float32))
    0.5
    >>> spike_density(np.array([0.0, 0.5])) is None
    True
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must be a real array, got dtype {x.dtype}")
    if x.size == 0:
        return 0.0
    flat = np.ascontiguousarray(x).reshape(-1)
    check = x.dtype != np.int8
    count = (_count_parallel(flat, check, 4 * get_num_threads()) if flat.size >= _PARALLEL
             else _count_serial(flat, check))
    return None if count < 0 else count / flat.size
